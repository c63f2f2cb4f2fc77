/**
 * The benchmark's markdown report (`bench/results/latest.md`): what ran where, whether the targets were met,
 * each stage against the raw tool it is compared with, the Spark peer beside the sink, the end-to-end
 * profiles set against the machine's serial limit, the CPU per 1,000 users of each process, the scaling sweep,
 * what the console costs the sink and how fast its page paints, the processes' footprint and the recent history.
 * A pure function of the results and the history, so the same run always renders the same text.
 */
import type {
  ConsolePhase,
  CpuBreakdown,
  HistoryEntry,
  HopSummary,
  Profile,
  Results,
  SerialLimit,
  SparkPeer,
  Target,
} from '../lib/results.ts';
import { describeSpeed, loopbackBaselineId, speedSpread } from '../lib/speed.ts';
import {
  formatCount,
  formatDuration,
  formatInstant,
  formatLoad,
  formatMachine,
  formatMs,
  formatOneDecimal,
  formatRate,
  formatRatio,
  formatSeconds,
  formatSlope,
  formatTargetValue,
  shortCommit,
} from './format.ts';

/** How many history entries the report shows, newest first. */
export const historyLimit = 15;

/** The header row of the targets table; `bench/check.ts` looks for it to know the table was rendered. */
export const targetsTableHeader = '| Target | Goal | Measured | Met |';

/** The console phase's heading; `bench/check.ts` looks for it in a run that has the phase. */
export const consoleHeading = '## Console';

/** The Spark peer's heading; `bench/check.ts` looks for it in a run that has the peer. */
export const sparkPeerHeading = '## Peer: Spark parity job';

const none = '—';

/**
 * Words of the line under the stages table that sets the sink beside the raw loop writing its batches;
 * `bench/check.ts` looks for them in a run that has that ratio.
 */
export const batchRatioLead = "÷ the raw loop writing the sink's own unlogged batches of";

interface Column {
  title: string;
  /** Numbers align right so their digits line up. */
  align?: 'left' | 'right';
}

/**
 * Renders the report.
 *
 * @param results - one run's results, as `resultsSchema` describes them
 * @param history - earlier runs, oldest first as `history.jsonl` holds them (including this run when it was
 *   recorded); the last {@link historyLimit} are shown, newest first, and the section is left out when empty
 * @returns the markdown text, ending with a newline
 */
export function renderMarkdown(results: Results, history: HistoryEntry[]): string {
  const sections = [
    header(results),
    targetsSection(results.targets),
    stagesSection(results),
    results.sparkPeer === undefined ? undefined : sparkPeerSection(results.sparkPeer, results),
    results.serialLimit === undefined ? undefined : serialLimitSection(results.serialLimit),
    endToEndSection(results.endToEnd),
    cpuSection(results),
    scalingSection(results),
    results.console === undefined ? undefined : consoleSection(results.console),
    processesSection(results),
    history.length > 0 ? historySection(history, results) : undefined,
  ];
  return `${sections.filter((s) => s !== undefined).join('\n\n')}\n`;
}

function header(results: Results): string {
  const commit = `\`${shortCommit(results.git.commit)}\`${results.git.dirty ? ' (with uncommitted changes)' : ''}`;
  const lines = [
    `**${results.mode}** run of ${commit} on **${cell(formatMachine(results.machine))}**, ` +
      `took ${formatDuration(results.durationSeconds)}.`,
  ];
  if (results.label !== '') lines.push(`Label: ${cell(results.label)}.`);
  const tools = Object.entries(results.tools).map(([tool, version]) => `${tool} ${version}`);
  if (tools.length > 0) lines.push(`Tools: ${cell(tools.join(' · '))}.`);
  const spread = speedSpread(results.machineSpeed ?? []);
  const speed = spread === undefined ? undefined : describeSpeed(spread);
  if (speed !== undefined) lines.push(`${cell(speed.line)}.`);
  // Markdown joins adjacent lines into one paragraph; a trailing backslash keeps each on its own line.
  const head = `# Benchmark ${formatInstant(results.startedAt)}\n\n${lines.join('\\\n')}`;
  return speed?.warning === undefined ? head : `${head}\n\n> **Warning:** ${speed.warning}.`;
}

function targetsSection(targets: readonly Target[]): string {
  if (targets.length === 0) return '## Targets\n\nNo targets in this run.';
  const met = targets.filter((t) => t.met).length;
  const rows = targets.map((t) => [
    `${cell(t.description)} (\`${cell(t.id)}\`)`,
    `${t.comparison === '>=' ? '≥' : '≤'} ${formatTargetValue(t.goal, t.unit)}`,
    formatTargetValue(t.measured, t.unit),
    t.met ? '✅' : '❌',
  ]);
  const table = renderTable(
    [
      { title: 'Target' },
      { title: 'Goal', align: 'right' },
      { title: 'Measured', align: 'right' },
      { title: 'Met' },
    ],
    rows,
  );
  return `## Targets\n\n${met} of ${targets.length} met.\n\n${table}`;
}

function stagesSection(results: Results): string {
  const baselines = new Map(results.baselines.map((b) => [b.id, b]));
  const stageRows = results.stages.map((s) => {
    const baseline = s.baseline === undefined ? undefined : baselines.get(s.baseline);
    return [
      `${cell(s.name)} (\`${cell(s.id)}\`)`,
      formatRate(s.perSecond),
      baseline ? `${cell(baseline.name)} (\`${cell(baseline.id)}\`)` : (s.baseline ?? none),
      baseline ? formatRate(baseline.perSecond) : none,
      s.ratio === undefined ? none : formatRatio(s.ratio),
    ];
  });
  const stages =
    stageRows.length === 0
      ? 'No stages in this run.'
      : renderTable(
          [
            { title: 'Stage' },
            { title: 'Users/s', align: 'right' },
            { title: 'Baseline' },
            { title: 'Baseline/s', align: 'right' },
            { title: 'Ratio', align: 'right' },
          ],
          stageRows,
        );
  // The sink's ratio above is against the single-row loop (the target); when it writes unlogged
  // batches, it is also set beside the loop that writes the same batches, so a change of how it writes
  // cannot pass for a faster sink.
  const batchLines = results.stages.flatMap((s) => {
    if (s.batchRatio === undefined) return [];
    const loop = baselines.get(s.batchRatio.baseline);
    const loopRate = loop === undefined ? '' : `, ${formatRate(loop.perSecond)} rows/s`;
    return [
      `\`${cell(s.id)}\` ${batchRatioLead} ${formatCount(s.batchRatio.batchSize)} ` +
        `(\`${cell(s.batchRatio.baseline)}\`${loopRate}): **${formatRatio(s.batchRatio.ratio)}**`,
    ];
  });
  const baselineRows = results.baselines.map((b) => [
    `\`${cell(b.id)}\``,
    cell(b.name),
    formatCount(b.records),
    formatSeconds(b.seconds),
    formatRate(b.perSecond),
    cell(
      Object.entries(b.details)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', '),
    ),
  ]);
  const baselinesTable =
    baselineRows.length === 0
      ? 'No baselines in this run.'
      : renderTable(
          [
            { title: 'Baseline' },
            { title: 'What ran' },
            { title: 'Records', align: 'right' },
            { title: 'Seconds', align: 'right' },
            { title: 'Records/s', align: 'right' },
            { title: 'Details' },
          ],
          baselineRows,
        );
  return [
    '## Stages vs raw baselines',
    `Ratio = our users/s ÷ the raw tool's records/s, both measured in this run, with ${formatCount(results.recordBytes)}-byte records.`,
    stages,
    ...batchLines,
    '### Baselines',
    baselinesTable,
  ].join('\n\n');
}

function sparkPeerSection(peer: SparkPeer, results: Results): string {
  const sink = results.stages.find((s) => s.id === 'sink');
  const intro =
    "The project's Spark Structured Streaming job (`infra/spark`) in `--parity` mode, which writes the same " +
    `\`created_users\` rows as sink-users, on ${cell(peer.master)}, right after the sink stage: a topic of its own ` +
    `holding as many records as the sink's (${formatCount(peer.records)}, the same generator and record bytes), ` +
    `read in micro-batches of at most ${formatCount(peer.recordsPerBatch)}, into a keyspace of its own, which then ` +
    `held ${formatCount(peer.rowsWritten)} rows. Its steady rate is over its \`created_users\` query's ` +
    `${formatCount(Math.max(0, peer.batches - 1))} batches after its first with data; the first batch's time runs ` +
    "from the driver JVM's start, every record being on the topic before it started.";
  const table = renderTable(
    [
      { title: 'Engine' },
      { title: 'Rows/s', align: 'right' },
      { title: 'Rate taken over' },
      { title: 'First batch' },
    ],
    [
      [
        sink ? `${cell(sink.name)} (\`sink\`)` : 'sink-users (`sink`)',
        formatRate(peer.sinkPerSecond),
        "Cassandra's write times of its rows",
        none,
      ],
      [
        `Spark parity job, ${cell(peer.master)}`,
        formatRate(peer.steadyPerSecond),
        'the batches after the first',
        `${formatMs(peer.firstBatch.sinceStartMs)} after the driver started (the batch: ` +
          `${formatCount(peer.firstBatch.rows)} rows in ${formatMs(peer.firstBatch.durationMs)})`,
      ],
    ],
  );
  const ratio =
    `sink-users ÷ Spark: **${formatRatio(peer.sinkRatio)}** (target \`sink-vs-spark\`). From launching the driver ` +
    `until it had read every record, start-up included: ${formatSeconds(peer.wallSeconds)} s ` +
    `(${formatRate(peer.wallSeconds > 0 ? peer.records / peer.wallSeconds : 0)} rows/s).`;
  return [sparkPeerHeading, intro, table, ratio].join('\n\n');
}

function endToEndSection(profiles: readonly Profile[]): string {
  if (profiles.length === 0) return '## End to end\n\nNo end-to-end profiles in this run.';
  return ['## End to end', ...profiles.map(profileSection)].join('\n\n');
}

function profileSection(profile: Profile): string {
  const { settings, sustained } = profile;
  const settingsLine =
    `Settings: batch size ${formatCount(settings.batchSize)}, batching window ${formatMs(settings.batchingWindowMs)}, ` +
    `relay poll ${formatMs(settings.relayPollMs)}, ${settings.partitions} ${settings.partitions === 1 ? 'partition' : 'partitions'}.`;
  const attempts = sustained.attempts.map((a) => `${formatRate(a.perSecond)} ${a.flat ? '✅' : '❌'}`);
  const sustainedLine =
    `Sustained: **${formatRate(sustained.perSecond)} users/s** for ${formatDuration(sustained.durationSeconds)}, ` +
    `lag slope ${formatSlope(sustained.lagSlopePerSecond)} records/s (${sustained.flat ? 'flat ✅' : 'growing ❌'}).` +
    (attempts.length > 0 ? ` Offered: ${attempts.join(' → ')}.` : '');
  const latency =
    profile.latency.length === 0
      ? 'No latency measured.'
      : renderTable(
          [
            { title: 'Load', align: 'right' },
            { title: 'Offered/s', align: 'right' },
            { title: 'Achieved/s', align: 'right' },
            { title: 'Users', align: 'right' },
            { title: 'p50', align: 'right' },
            { title: 'p95', align: 'right' },
            { title: 'p99', align: 'right' },
            { title: 'Max', align: 'right' },
          ],
          profile.latency.map((l) => [
            formatLoad(l.loadFraction),
            formatRate(l.offeredPerSecond),
            formatRate(l.achievedPerSecond),
            formatCount(l.count),
            formatMs(l.p50),
            formatMs(l.p95),
            formatMs(l.p99),
            formatMs(l.max),
          ]),
        );
  const split = (h: HopSummary) => `${[h.p50, h.p95, h.p99].map(formatCount).join('/')} ms`;
  const hops = profile.latency.flatMap((l) =>
    l.hops === undefined
      ? []
      : [
          `at ${formatLoad(l.loadFraction)}, commit → Kafka ${split(l.hops.toKafka)} and Kafka → row ${split(l.hops.toRow)}`,
        ],
  );
  const hopsLine =
    hops.length === 0 ? [] : [`Split at each record's Kafka timestamp (p50/p95/p99): ${hops.join('; ')}.`];
  return [
    `### ${cell(profile.name)} (\`${cell(profile.id)}\`)`,
    `${settingsLine}\\\n${sustainedLine}`,
    latency,
    ...hopsLine,
  ].join('\n\n');
}

/** The serial limit's heading; `bench/check.ts` looks for it in a run that has one. */
export const serialLimitHeading = '## Serial limit';

function serialLimitSection(limit: SerialLimit): string {
  const terms = Object.entries(limit.baselines).map(([id, rate]) => `1/${formatRate(rate)} \`${cell(id)}\``);
  const e2e = limit.endToEnd;
  const lines = [
    "One user's cost at each raw tool's own speed, added up: as fast as this machine can carry users through " +
      "every stage when all of them share its cores, whatever the code does. From this run's baselines (the " +
      `faster round of those run twice): 1 / (${terms.join(' + ')}) = **${formatRate(limit.perSecond)} users/s**.`,
    e2e === undefined
      ? 'No end-to-end profile to set against it in this run.'
      : `End to end (\`${cell(e2e.profile)}\` profile, sustained): ${formatRate(e2e.perSecond)} users/s, ` +
        `**${formatRatio(e2e.fraction)}** of the serial limit (target \`e2e-vs-serial-limit\`).`,
  ];
  return [serialLimitHeading, ...lines].join('\n\n');
}

/** The section on CPU per 1000 users; `bench/check.ts` looks for it in a run that has a breakdown. */
export const cpuHeading = '## CPU per 1,000 users';

/**
 * CPU per 1000 users per process: one column for the sink stage and one per end-to-end profile, one row per
 * process any of them saw; left out when none has a breakdown (runs recorded before it existed).
 */
function cpuSection(results: Results): string | undefined {
  const spans: Array<{ title: string; cpu: CpuBreakdown }> = [];
  for (const stage of results.stages) {
    if (stage.cpu !== undefined) spans.push({ title: `\`${cell(stage.id)}\` stage`, cpu: stage.cpu });
  }
  for (const profile of results.endToEnd) {
    if (profile.cpu !== undefined)
      spans.push({ title: `\`${cell(profile.id)}\` end to end`, cpu: profile.cpu });
  }
  if (spans.length === 0) return undefined;
  // In the order the run lists its processes, so the rows line up with the processes table.
  const names = orderedKeys(
    results.processes.map((p) => p.name),
    spans.map((s) => Object.fromEntries(s.cpu.processes.map((p) => [p.name, p.msPerThousand]))),
  );
  const msOf = (cpu: CpuBreakdown, name: string) => cpu.processes.find((p) => p.name === name)?.msPerThousand;
  const table = renderTable(
    [{ title: 'Process' }, ...spans.map((s): Column => ({ title: s.title, align: 'right' }))],
    [
      ...names.map((name) => [
        cell(name),
        ...spans.map((s) => {
          const ms = msOf(s.cpu, name);
          return ms === undefined ? none : formatCount(ms);
        }),
      ]),
      ['**All watched processes**', ...spans.map((s) => `**${formatCount(s.cpu.totalMsPerThousand)}**`)],
      ['Other work on the machine', ...spans.map((s) => formatCount(s.cpu.otherMsPerThousand))],
      ['Users in the span', ...spans.map((s) => formatCount(s.cpu.users))],
      ['Span', ...spans.map((s) => `${formatSeconds(s.cpu.seconds)} s`)],
    ],
  );
  const intro =
    'CPU milliseconds per 1,000 users, for each process the run watches, so a change shows where it saved. ' +
    'The sink stage: from sls offline being up until the sink had consumed every record of the stage, over the ' +
    'records it consumed in that span. End to end: over the sustained run of the load reported above, divided ' +
    'by the users it committed. Other work: what the machine spent busy outside those processes.';
  return [cpuHeading, intro, table].join('\n\n');
}

function scalingSection(results: Results): string {
  if (results.scaling.length === 0) return '## Scaling\n\nNo scaling points in this run.';
  const points = [...results.scaling].sort(
    (a, b) => a.partitions - b.partitions || a.batchSize - b.batchSize,
  );
  const table = renderTable(
    [
      { title: 'Partitions', align: 'right' },
      { title: 'Batch size', align: 'right' },
      { title: 'Users/s', align: 'right' },
      { title: 'Invocations', align: 'right' },
      { title: 'CPU ms / 1000 users', align: 'right' },
    ],
    points.map((p) => [
      String(p.partitions),
      formatCount(p.batchSize),
      formatRate(p.perSecond),
      formatCount(p.invocations),
      formatCount(p.cpuMsPerThousand),
    ]),
  );
  return `## Scaling\n\nThe sink through the local event source, by partitions and batch size.\n\n${table}`;
}

function consoleSection(phase: ConsolePhase): string {
  const intro =
    `What \`npm run console\` costs the sink while it runs: rounds of ${formatCount(phase.usersPerRound)} users ` +
    'with the console off and on in ABBA order (off, on, on, off, …), each rate over the Cassandra write times ' +
    "of that round's users only. In an on round the console runs in its own process, read by a viewer that " +
    'keeps `/api/live` open and scrapes `/metrics` every 5 s. `created_users` held ' +
    `${formatCount(phase.cassandraRows.before)} rows before the first round and ` +
    `${formatCount(phase.cassandraRows.after)} after the last; \`users_raw\` and the outbox ` +
    `${formatCount(phase.postgresUsers.before)} and ${formatCount(phase.postgresUsers.after)}.`;
  const optional = (value: number | undefined) => (value === undefined ? none : formatCount(value));
  const table = renderTable(
    [
      { title: 'Round', align: 'right' },
      { title: 'Console' },
      { title: 'Users/s', align: 'right' },
      { title: 'Console CPU ms/s', align: 'right' },
      { title: 'Snapshots', align: 'right' },
      { title: 'Scrapes', align: 'right' },
      { title: 'Cassandra CPU ms/s', align: 'right' },
      { title: 'Other CPU ms/s', align: 'right' },
    ],
    phase.rounds.map((r) => [
      String(r.round),
      r.console,
      `${formatRate(r.perSecond)}${r.functionsRebuilt === true ? ' ⚠' : ''}`,
      optional(r.consoleCpuMsPerSecond),
      optional(r.snapshots),
      optional(r.scrapes),
      optional(r.cassandraCpuMsPerSecond),
      optional(r.otherCpuMsPerSecond),
    ]),
  );
  const rebuilt = phase.rounds.filter((r) => r.functionsRebuilt === true).map((r) => String(r.round));
  const notes = [
    "Cassandra CPU ms/s: the console's counts scan whole tables, so its cost shows there more than in its own " +
      'process. Other CPU ms/s: what the machine spent busy outside the processes the benchmark watches (work ' +
      'that shared the machine); high values make a round slow for reasons of their own.',
    ...(rebuilt.length === 0
      ? []
      : [
          `⚠ During round${rebuilt.length === 1 ? '' : 's'} ${rebuilt.join(', ')} the functions were rebuilt: a .js ` +
            "or .ts file of the repository changed, and sls offline's serverless-esbuild watcher rebuilt them and " +
            "dropped the sink's workers, so the rate timed cold workers.",
        ]),
  ].join('\\\n');
  const cost =
    `On ÷ off per pair: ${phase.pairRatios.map(formatRatio).join(', ')}; **median ${formatRatio(phase.medianRatio)}**. ` +
    `The console's CPU while on: **${formatCount(phase.consoleCpuMsPerSecond)} ms per second** ` +
    `(${formatLoad(phase.consoleCpuMsPerSecond / 1000)} of one core). ` +
    `Warm-up round, console off, not counted: ${formatRate(phase.warmupPerSecond)} users/s.`;
  return [consoleHeading, intro, table, notes, cost, firstPaintLine(phase.firstPaint)].join('\n\n');
}

function firstPaintLine(paint: ConsolePhase['firstPaint']): string {
  const browser = paint.browser === undefined ? '' : ` (chromium ${cell(paint.browser)})`;
  const time = (ms: number | null) => (ms === null ? 'not measured' : `**${formatMs(ms)}**`);
  if (paint.firstContentfulPaintMs === null && paint.firstSnapshotMs === null) {
    return `The page's first paint was not measured: ${cell(paint.reason ?? 'no reason given')}.`;
  }
  const why = paint.reason === undefined ? '' : ` (${cell(paint.reason)})`;
  return (
    `The page opened once${browser}, times from the navigation's start: first contentful paint ` +
    `${time(paint.firstContentfulPaintMs)}, first live snapshot rendered ${time(paint.firstSnapshotMs)}${why}.`
  );
}

function processesSection(results: Results): string {
  if (results.processes.length === 0) return '## Processes\n\nNo processes sampled in this run.';
  const table = renderTable(
    [
      { title: 'Process' },
      { title: 'PID', align: 'right' },
      { title: 'Peak RSS (MiB)', align: 'right' },
      { title: 'CPU (s)', align: 'right' },
    ],
    results.processes.map((p) => [
      cell(p.name),
      String(p.pid),
      formatOneDecimal(p.peakRssMiB),
      formatOneDecimal(p.cpuSeconds),
    ]),
  );
  return `## Processes\n\n${table}`;
}

function historySection(history: readonly HistoryEntry[], results: Results): string {
  const shown = history.slice(-historyLimit).reverse();
  // This run's order first, then ids only older runs had, so columns stay put while the stages stay the same.
  const stageIds = orderedKeys(
    results.stages.map((s) => s.id),
    shown.map((e) => e.stages),
  );
  const targetIds = orderedKeys(
    results.targets.map((t) => t.id),
    shown.map((e) => e.targets),
  );
  const units = new Map(results.targets.map((t) => [t.id, t.unit]));
  // Beside what each run measured, what it ran on: the loopback baseline tells the kind of machine, and the
  // first profile's CPU per user end to end what the machine charged for the same work.
  const profileId = results.endToEnd[0]?.id;
  const rows = shown.map((e) => [
    formatInstant(e.startedAt),
    `\`${shortCommit(e.commit)}\``,
    e.mode,
    cell(e.label),
    optional(e.baselines[loopbackBaselineId], formatRate),
    ...(profileId === undefined ? [] : [optional(e.cpuPerThousand?.[profileId], formatCount)]),
    ...stageIds.map((id) => optional(e.stages[id], formatRate)),
    ...targetIds.map((id) => {
      const unit = units.get(id);
      return optional(e.targets[id], (value) =>
        unit === undefined ? formatOneDecimal(value) : formatTargetValue(value, unit),
      );
    }),
  ]);
  const table = renderTable(
    [
      { title: 'Date' },
      { title: 'Commit' },
      { title: 'Mode' },
      { title: 'Label' },
      { title: `\`${loopbackBaselineId}\`/s`, align: 'right' },
      ...(profileId === undefined
        ? []
        : [{ title: `\`${profileId}\` CPU ms / 1,000 users`, align: 'right' } satisfies Column]),
      ...stageIds.map((id): Column => ({ title: `${cell(id)} users/s`, align: 'right' })),
      ...targetIds.map((id): Column => ({ title: cell(id), align: 'right' })),
    ],
    rows,
  );
  const title =
    history.length > historyLimit
      ? `last ${historyLimit} of ${history.length} runs`
      : `${history.length} run${history.length === 1 ? '' : 's'}`;
  return (
    `## History\n\n${title}, newest first. \`${loopbackBaselineId}\` (HTTP GET and JSON.parse over loopback) ` +
    'shows the kind of machine a run had, which the speed probe does not see, and the CPU per 1,000 users what it ' +
    'charged for the same work (the bench README\'s "Reading the misses").\n\n' +
    table
  );
}

/** The keys of `records`, those listed in `first` first and in that order, then the rest as they appear. */
function orderedKeys(first: readonly string[], records: readonly Record<string, unknown>[]): string[] {
  const keys = new Set(first.filter((k) => records.some((r) => k in r)));
  for (const record of records) for (const key of Object.keys(record)) keys.add(key);
  return [...keys];
}

/** A GitHub-flavoured markdown table. */
function renderTable(columns: readonly Column[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = columns.map((c) => (c.align === 'right' ? '--:' : '---'));
  return [line(columns.map((c) => c.title)), line(rule), ...rows.map(line)].join('\n');
}

/** Text made safe for a table cell: a pipe would split the cell and a newline would end the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll(/\r?\n/g, ' ');
}

/** A value's cell, or {@link none} for a run that did not measure it. */
function optional(value: number | undefined, format: (value: number) => string): string {
  return value === undefined ? none : format(value);
}
