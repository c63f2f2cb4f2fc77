/**
 * What the Kafka view's reset form offers before the user picks anything: the run's sink group (a replay is
 * almost always the sink's) on the topic it consumes, when Kafka knows the group; otherwise the first group
 * that has committed offsets, or the first at all. Pure, so the unit tests run it in Node.
 */
import type { KafkaView } from '../api.ts';

type Choices = Pick<KafkaView, 'sink' | 'groups' | 'topics'>;

/**
 * The topic the form offers for `groupId`: the run's topic for the sink's group (the sink group's name is
 * shared by every run on the broker, so its first committed topic may be another run's), else the first
 * topic the group committed on; undefined when it has none.
 */
export function groupTopic(view: Choices, groupId: string): string | undefined {
  if (groupId === view.sink.groupId && view.topics.some((t) => t.name === view.sink.topic)) {
    return view.sink.topic;
  }
  return view.groups.find((g) => g.groupId === groupId)?.topics[0]?.topic;
}

/** The group and topic the form starts with; empty strings when the broker has no group or no topic. */
export function defaultReset(view: Choices): { groupId: string; topic: string } {
  const group =
    view.groups.find((g) => g.groupId === view.sink.groupId) ??
    view.groups.find((g) => g.topics.length > 0) ??
    view.groups[0];
  const groupId = group?.groupId ?? '';
  return { groupId, topic: groupTopic(view, groupId) ?? view.topics[0]?.name ?? '' };
}
