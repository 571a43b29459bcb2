/** The breaker's state for one insurer's two actions on this node, from Moleculer's breaker events. */
export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitView {
  private readonly states: Record<'submit' | 'poll', CircuitState> = { submit: 'closed', poll: 'closed' };

  constructor(private readonly serviceName: string) {}

  /** Returns the action's short name when the event concerned this insurer, else undefined. */
  record(state: CircuitState, event: { service?: string; action?: string }): 'submit' | 'poll' | undefined {
    if (event.service !== this.serviceName || !event.action) return undefined;
    const which = event.action.endsWith('.submit') ? 'submit' : event.action.endsWith('.poll') ? 'poll' : undefined;
    if (which) this.states[which] = state;
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
