/** The report's file names inside the results folder, shared by the writer and the smoke test. */
export const reportFiles = {
  json: 'latest.json',
  md: 'latest.md',
  svg: 'latest.svg',
  history: 'history.jsonl',
  runs: 'runs',
} as const;
