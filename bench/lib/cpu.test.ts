import { describe, expect, it } from 'vitest';
import { type CpuReading, cpuBreakdown, splitMainThread } from './cpu.ts';

const reading = (atMs: number, machineBusyMs: number, byProcess: Record<string, number>): CpuReading => ({
  atMs,
  machineBusyMs,
  byProcess: new Map(Object.entries(byProcess)),
});

describe('cpuBreakdown', () => {
  it("gives each process's CPU over the span per 1000 users, their sum, and the machine's other work", () => {
    // Arrange: 5,000 users over 2 s; the machine was busy 2,600 ms, 2,400 of it in the watched processes.
    const start = reading(10_000, 50_000, { kafka: 1_000, cassandra: 4_000, 'sls offline': 0, bench: 300 });
    const end = reading(12_000, 52_600, { kafka: 1_200, cassandra: 5_000, 'sls offline': 1_000, bench: 500 });

    // Act
    const cpu = cpuBreakdown(start, end, 5_000);

    // Assert
    expect(cpu.users).toBe(5_000);
    expect(cpu.seconds).toBe(2);
    expect(cpu.processes).toEqual([
      { name: 'kafka', cpuMs: 200, msPerThousand: 40 },
      { name: 'cassandra', cpuMs: 1_000, msPerThousand: 200 },
      { name: 'sls offline', cpuMs: 1_000, msPerThousand: 200 },
      { name: 'bench', cpuMs: 200, msPerThousand: 40 },
    ]);
    expect(cpu.totalMsPerThousand).toBe(480);
    expect(cpu.otherMsPerThousand).toBe(40);
  });

  it('counts a process first seen in the span from 0 and leaves out one that used nothing', () => {
    const start = reading(0, 0, { kafka: 500, idle: 70 });
    const end = reading(1_000, 1_000, { kafka: 600, idle: 70, console: 50 });
    const cpu = cpuBreakdown(start, end, 1_000);
    expect(cpu.processes.map((p) => [p.name, p.cpuMs])).toEqual([
      ['kafka', 100],
      ['console', 50],
    ]);
  });

  it('never goes negative, and is 0 per 1000 users when no user went through', () => {
    const start = reading(0, 1_000, { kafka: 900 });
    const end = reading(1_000, 1_050, { kafka: 100 });
    const cpu = cpuBreakdown(start, end, 0);
    expect(cpu.processes).toEqual([]);
    expect(cpu.totalMsPerThousand).toBe(0);
    expect(cpu.otherMsPerThousand).toBe(0);
  });
});

describe('splitMainThread', () => {
  const split = { process: 'sls', mainThread: 'sls: main thread', rest: 'sls: the rest' };

  it("replaces the process's entry, where it stood, by its main thread and the rest", () => {
    const byProcess = new Map([
      ['kafka', 100],
      ['sls', 1_000],
      ['bench', 50],
    ]);

    const out = splitMainThread(byProcess, split, 300);

    expect([...out]).toEqual([
      ['kafka', 100],
      ['sls: main thread', 300],
      ['sls: the rest', 700],
      ['bench', 50],
    ]);
  });

  it('keeps the whole when the main thread could not be read, or the process was not seen', () => {
    const byProcess = new Map([['sls', 1_000]]);
    expect([...splitMainThread(byProcess, split, undefined)]).toEqual([['sls', 1_000]]);
    expect([...splitMainThread(new Map([['kafka', 1]]), split, 10)]).toEqual([['kafka', 1]]);
  });

  it('never gives the main thread more than the whole process, read a moment before it', () => {
    const out = splitMainThread(new Map([['sls', 1_000]]), split, 1_010);
    expect([...out]).toEqual([
      ['sls: main thread', 1_000],
      ['sls: the rest', 0],
    ]);
  });

  it('splits a span: each part of the breakdown is the difference of its own readings', () => {
    const start = {
      atMs: 0,
      machineBusyMs: 0,
      byProcess: splitMainThread(new Map([['sls', 1_000]]), split, 400),
    };
    const end = {
      atMs: 1_000,
      machineBusyMs: 2_000,
      byProcess: splitMainThread(new Map([['sls', 2_000]]), split, 700),
    };

    const cpu = cpuBreakdown(start, end, 1_000);

    expect(cpu.processes).toEqual([
      { name: 'sls: main thread', cpuMs: 300, msPerThousand: 300 },
      { name: 'sls: the rest', cpuMs: 700, msPerThousand: 700 },
    ]);
  });
});
