import { describe, expect, it } from 'vitest';
import { BUSY_SHARE, PollGate, RETRY_MS, WINDOW_MS, readRunDelayNs } from '../../src/worker/poll-gate.ts';

/** A gate fed by a run delay the test sets, in nanoseconds. */
function fakeGate(): { gate: PollGate; wait(ms: number): void } {
  let delayNs = 0;
  return { gate: new PollGate(() => delayNs), wait: (ms) => (delayNs += ms * 1e6) };
}

describe('the worker poll gate', () => {
  it('keeps polling while the thread rarely waits for a CPU', () => {
    const { gate, wait } = fakeGate();
    expect(gate.allows(0)).toBe(true);
    for (let t = 1; t <= 10; t++) {
      wait(WINDOW_MS * BUSY_SHARE * 0.5);
      expect(gate.allows(t * WINDOW_MS)).toBe(true);
    }
    expect(gate.state).toBe('open');
  });

  it('stops polling when the thread waited for a CPU more than the busy share of a window', () => {
    const { gate, wait } = fakeGate();
    gate.allows(0);
    wait(WINDOW_MS * BUSY_SHARE * 2);
    expect(gate.allows(WINDOW_MS)).toBe(false);
    expect(gate.state).toBe('closed');
    // Closed for the retry period, whatever the delay does meanwhile.
    expect(gate.allows(WINDOW_MS + RETRY_MS / 2)).toBe(false);
  });

  it('tries again after the retry period, and stays open when the trial finds the machine quiet', () => {
    const { gate, wait } = fakeGate();
    gate.allows(0);
    wait(WINDOW_MS);
    expect(gate.allows(WINDOW_MS)).toBe(false);
    const trial = WINDOW_MS + RETRY_MS;
    expect(gate.allows(trial)).toBe(true);
    expect(gate.state).toBe('trial');
    expect(gate.allows(trial + WINDOW_MS / 2)).toBe(true);
    expect(gate.allows(trial + WINDOW_MS)).toBe(true);
    expect(gate.state).toBe('open');
  });

  it('closes again when the trial finds the machine still busy', () => {
    const { gate, wait } = fakeGate();
    gate.allows(0);
    wait(WINDOW_MS);
    gate.allows(WINDOW_MS);
    const trial = WINDOW_MS + RETRY_MS;
    gate.allows(trial);
    wait(WINDOW_MS * 0.5);
    expect(gate.allows(trial + WINDOW_MS)).toBe(false);
    expect(gate.state).toBe('closed');
  });

  it('always polls where the kernel does not report a run delay', () => {
    const gate = new PollGate(() => undefined);
    for (let t = 0; t < 5000; t += WINDOW_MS) expect(gate.allows(t)).toBe(true);
    expect(gate.state).toBe('static');
  });

  it('reads this thread’s run delay from the kernel on Linux', () => {
    const delay = readRunDelayNs();
    if (process.platform === 'linux') {
      expect(typeof delay).toBe('number');
      expect(delay).toBeGreaterThanOrEqual(0);
    } else {
      expect(delay).toBeUndefined();
    }
  });
});
