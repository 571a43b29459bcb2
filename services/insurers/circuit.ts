/** The breaker's state for one insurer's two actions on this node, from Moleculer's breaker events. */
export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitView {
  private readonly states: Record<'submit' | 'poll', CircuitState> = { submit: 'closed', poll: 'closed' };
  private changedAtMs: number;

  constructor(
    private readonly serviceName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.changedAtMs = now();
  }

  /** Since when `state` has been what it is (this node's start, if it never changed). */
  get since(): string {
    return new Date(this.changedAtMs).toISOString();
  }

  /** Returns the action's short name when the event concerned this insurer, else undefined. */
  record(state: CircuitState, event: { service?: string; action?: string }): 'submit' | 'poll' | undefined {
    if (event.service !== this.serviceName || !event.action) return undefined;
    const which = event.action.endsWith('.submit') ? 'submit' : event.action.endsWith('.poll') ? 'poll' : undefined;
    if (!which) return undefined;
    const before = this.state;
    this.states[which] = state;
    if (this.state !== before) this.changedAtMs = this.now();
    return which;
  }

  /** A new quote starts with a create: while that is refused, the insurer is unavailable. */
  get createRefused(): boolean {
    return this.states.submit === 'open';
  }

  get state(): CircuitState {
    const states = Object.values(this.states);
    if (states.includes('open')) return 'open';
    if (states.includes('half-open')) return 'half-open';
    return 'closed';
  }
}
