import { describe, expect, it } from 'vitest';
import type { GroupView, KafkaView, TopicView } from '../api.ts';
import { defaultReset, groupTopic } from './reset-choice.ts';

const topic = (name: string): TopicView => ({ name, partitions: [], records: 0, bytes: null });
const group = (groupId: string, ...topics: string[]): GroupView => ({
  groupId,
  state: 'Empty',
  members: 0,
  topics: topics.map((t) => ({ topic: t, partitions: [] })),
});
const sink = { groupId: 'pipeline-sink', topic: 'run_users' };

function view(
  groups: GroupView[],
  topics = ['other_users', 'run_users'].map(topic),
): Pick<KafkaView, 'sink' | 'groups' | 'topics'> {
  return { sink, groups, topics };
}

describe('defaultReset', () => {
  it('offers the sink group on the run topic, though other groups come first by name and it committed on another run first', () => {
    const choices = view([
      group('a-tool', 'other_users'),
      group('pipeline-sink', 'other_users', 'run_users'),
    ]);

    expect(defaultReset(choices)).toEqual({ groupId: 'pipeline-sink', topic: 'run_users' });
  });

  it('falls back to the first group with committed offsets when Kafka does not know the sink group', () => {
    const choices = view([group('a-idle'), group('b-tool', 'other_users')]);

    expect(defaultReset(choices)).toEqual({ groupId: 'b-tool', topic: 'other_users' });
  });

  it('falls back to the first group, and the first topic, when no group committed anything', () => {
    expect(defaultReset(view([group('a-idle'), group('b-idle')]))).toEqual({
      groupId: 'a-idle',
      topic: 'other_users',
    });
  });

  it('offers nothing when the broker has no group and no topic', () => {
    expect(defaultReset(view([], []))).toEqual({ groupId: '', topic: '' });
  });
});

describe('groupTopic', () => {
  it('gives the sink group the run topic only while that topic exists', () => {
    const withTopic = view([group('pipeline-sink', 'other_users')]);
    const without = view([group('pipeline-sink', 'other_users')], [topic('other_users')]);

    expect(groupTopic(withTopic, 'pipeline-sink')).toBe('run_users');
    expect(groupTopic(without, 'pipeline-sink')).toBe('other_users');
  });

  it('gives any other group its first committed topic, and nothing for a group that has none', () => {
    const choices = view([group('b-tool', 'other_users'), group('a-idle')]);

    expect(groupTopic(choices, 'b-tool')).toBe('other_users');
    expect(groupTopic(choices, 'a-idle')).toBeUndefined();
  });
});
