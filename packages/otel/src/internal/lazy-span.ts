import type { Attributes, AttributeValue, Exception, Link, Span, SpanContext, SpanStatus, TimeInput } from '@opentelemetry/api';

/**
 * A span made only when something needs it: the context and `op.attributes` carry it from the start of the
 * operation, but the SDK's span (ids, sampling, the span object) is created on first use — by code that reads its
 * context or annotates it — or, most often, when the operation ends, off the caller's critical path. The start time
 * is the operation's, so the span is the same as one made at once.
 */
export class LazySpan implements Span {
  readonly #make: () => Span;
  #span: Span | undefined;

  constructor(make: () => Span) {
    this.#make = make;
  }

  /** The SDK's span, made now if it was not yet. */
  real(): Span {
    return (this.#span ??= this.#make());
  }

  spanContext(): SpanContext {
    return this.real().spanContext();
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.real().setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    this.real().setAttributes(attributes);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    this.real().addEvent(name, attributesOrStartTime, startTime);
    return this;
  }

  addLink(link: Link): this {
    this.real().addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.real().addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.real().setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.real().updateName(name);
    return this;
  }

  end(endTime?: TimeInput): void {
    this.real().end(endTime);
  }

  isRecording(): boolean {
    return this.real().isRecording();
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.real().recordException(exception, time);
  }
}
