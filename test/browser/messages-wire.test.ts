/**
 * The message browser in chromium on records in the Confluent wire format (issue 16, item 3), on the console
 * alone against the stack (no `npm start`: nothing here needs the functions): a run's topic holds a record
 * framed with the id the migrations registered for the run's value subject, one framed with an id the registry
 * never gave out, and one in plain JSON. The page shows each value decoded, the schema id and version of the
 * first, the second's version as unknown, and no schema for the third; axe-core finds no serious violation.
 * The run's dead-letter topic holds a framed dead letter, whose detail shows its schema id and version too.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishedSchemaText } from '../../functions/lib/published-schemas.ts';
import { createSchemaRegistry, valueSubject } from '../../functions/lib/registry.ts';
import { userCreated } from '../../functions/lib/users-created.ts';
import { frameValue } from '../../functions/lib/wire-format.ts';
import { type RunningConsole, startConsole } from '../../infra/console/server.ts';
import { type ConsoleSources, localSources } from '../../infra/console/sources.ts';
import { readyStack } from '../../infra/dev/ready.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { axeViolations, isPng, launchChromium, saveScreenshot } from '../helpers/browser.ts';
import { freshUsers } from '../helpers/pipeline.ts';
import { closedPort, kafkaClient, stackConfig, uniqueName } from '../helpers/stack.ts';

const run = uniqueName('browser_wire');
const topic = `${run}_users`;
const deadLetterTopic = `${topic}.dlq`;
const base = stackConfig();
// The run's topics; the stack's database and keyspace, which the other views read and this test leaves alone.
const cfg = { ...base, pipeline: { ...base.pipeline, topic, deadLetterTopic } };
const kafka = kafkaClient(cfg);
const [framed, stray] = freshUsers(2);
const batch = { batchId: `${run}:1`, fetchedAt: '2026-01-01T00:00:00.000Z' };
const unknownId = 2_000_000_000;
const poll = { timeout: 30_000, interval: 250 };

let sources: ConsoleSources;
let consoleRun: RunningConsole;
let browser: Browser;
let page: Page;
let registeredId = 0;
let registeredVersion = 0;

beforeAll(async () => {
  if (!framed || !stray) throw new Error('no users');
  // Migrates the stack for the run's names: its topic (6 partitions) and value subject, as for users_created.
  await readyStack(cfg, () => undefined);
  const registered = await createSchemaRegistry({ url: schemaRegistryUrl(cfg) }).find(
    valueSubject(topic),
    publishedSchemaText('users-created.value.v1.json'),
  );
  if (registered === undefined) throw new Error(`${valueSubject(topic)} lacks the value schema`);
  registeredId = registered.id;
  registeredVersion = registered.version;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    // All on partition 0, the one the page opens.
    messages: [
      {
        partition: 0,
        key: framed.login.uuid,
        value: frameValue(registeredId, JSON.stringify(userCreated(framed, batch))),
      },
      {
        partition: 0,
        key: stray.login.uuid,
        value: frameValue(unknownId, JSON.stringify(userCreated(stray, batch))),
      },
      { partition: 0, key: 'plain', value: JSON.stringify(userCreated(stray, batch)) },
    ],
  });
  await producer.send({
    topic: deadLetterTopic,
    acks: -1,
    messages: [
      {
        key: framed.login.uuid,
        value: frameValue(registeredId, JSON.stringify(userCreated(framed, batch))),
        headers: {
          'dlq.error.type': 'CASSANDRA_INVALID',
          'dlq.error.message': 'Cassandra refused the row',
          'dlq.source.topic': topic,
          'dlq.source.partition': '0',
          'dlq.source.offset': '0',
          'dlq.attempts': '1',
          'dlq.failed.at': '2026-01-01T00:00:00.000Z',
        },
      },
    ],
  });
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  if (offsets.find((o) => o.partition === 0)?.high !== '3')
    throw new Error(`${topic} holds ${JSON.stringify(offsets)}, not the 3 records sent`);
  sources = localSources(cfg, { eventSourcesPort: await closedPort() });
  consoleRun = await startConsole({ cfg, sources, port: 0, intervalMs: 1000, log: () => undefined });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await consoleRun?.close();
  await sources?.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => {});
  await admin.disconnect();
}, 120_000);

describe('the message browser on the Confluent wire format, in chromium', () => {
  it('shows each record decoded, with its schema id and version, the unknown id as unknown', async () => {
    await page.goto(consoleRun.url);
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Messages', exact: true })
      .click();
    await expect.poll(() => page.locator('h1').textContent(), poll).toBe('Messages');

    // The topic list comes from the Kafka view's reading; the form is filled once it holds the run's topic.
    await expect.poll(() => page.locator(`#msg-topics option[value="${topic}"]`).count(), poll).toBe(1);
    await page.locator('#msg-topic').fill(topic);
    await page.locator('#msg-offset').fill('0');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const rows = page.locator('table.records tbody tr');
    // The rows, or what the page says went wrong, so a failure shows the reason.
    const shown = async () =>
      (await page.locator('[role="alert"]').allTextContents()).join(' ') || (await rows.count());
    await expect
      .poll(shown, poll)
      .toBe(3)
      .catch(async (error: unknown) => {
        await saveScreenshot(page, 'messages-wire-failed');
        throw error;
      });
    const notes = await rows.evaluateAll((trs) =>
      trs.map((tr) => tr.querySelector('.schema-id')?.textContent?.replace(/\s+/g, ' ').trim() ?? null),
    );
    const values = await rows.locator('td.text').allTextContents();
    const screenshots = await saveScreenshot(page, 'messages-wire');

    expect(notes).toEqual([
      `Wire format: schema id ${registeredId}, version ${registeredVersion}`,
      `Wire format: schema id ${unknownId}, version unknown to the registry`,
      null,
    ]);
    expect(values[0]).toContain(framed?.login.uuid);
    expect(values.every((text) => text.includes('UserCreated'))).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    expect(screenshots.every(isPng)).toBe(true);
  });

  it('shows a dead letter in the wire format with its schema id and version in its detail', async () => {
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Dead letters', exact: true })
      .click();
    await expect.poll(() => page.locator('h1').textContent(), poll).toBe('Dead letters');
    const section = page.locator('section[aria-labelledby="dlt-title"]');
    await expect
      .poll(() => section.locator('tbody tr').first().locator('code').first().textContent(), poll)
      .toBe('CASSANDRA_INVALID');

    await section.getByRole('button', { name: 'Value…' }).first().click();
    const note = section.locator('tr.detail .schema-id');
    await expect.poll(() => note.count(), poll).toBe(1);

    expect((await note.textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      `Wire format: schema id ${registeredId}, version ${registeredVersion}`,
    );
    expect(await axeViolations(page)).toEqual([]);
  });
});
