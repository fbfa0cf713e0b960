import type { Attributes, AttributeValue, Exception, Link, Span, SpanContext, SpanStatus, TimeInput } from '@opentelemetry/api';

/** What a {@link PendingSpan} asks for its SDK span: made now, with the call's own start time, if it was not yet. */
export interface SpanOwner {
  materialize(): Span;
}

/**
 * The span of a statement whose SDK work is deferred, as other middleware see it in `op.attributes`: the SDK's span
 * is made on first use (an annotation, a read of its ids), with the call's start time, parent and attributes, so it
 * is the span that would have been made at once. Untouched, it never becomes one: the span is made after the call.
 */
export class PendingSpan implements Span {
  readonly #owner: SpanOwner;

  constructor(owner: SpanOwner) {
    this.#owner = owner;
  }

  spanContext(): SpanContext {
    return this.#owner.materialize().spanContext();
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.#owner.materialize().setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    this.#owner.materialize().setAttributes(attributes);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    this.#owner.materialize().addEvent(name, attributesOrStartTime, startTime);
    return this;
  }

  addLink(link: Link): this {
    this.#owner.materialize().addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.#owner.materialize().addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.#owner.materialize().setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.#owner.materialize().updateName(name);
    return this;
  }

  end(endTime?: TimeInput): void {
    this.#owner.materialize().end(endTime);
  }

  isRecording(): boolean {
    return this.#owner.materialize().isRecording();
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.#owner.materialize().recordException(exception, time);
  }
}
