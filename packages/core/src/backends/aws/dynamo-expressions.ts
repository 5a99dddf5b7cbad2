/**
 * Builders for DynamoDB expressions. Every attribute goes through a `#name`
 * placeholder (many of ours — status, name, error, mode, owner — are
 * reserved words) and every value through a `:vN` placeholder.
 */

export interface ExpressionParams {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** Collects the names and values of one request's expressions. */
export class ExprBuilder {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private next = 0;

  /** Placeholder for an attribute name (snake_case attributes only). */
  name(attr: string): string {
    const key = `#${attr}`;
    this.names[key] = attr;
    return key;
  }

  /** Placeholder for a value. */
  value(v: unknown): string {
    const key = `:v${this.next++}`;
    this.values[key] = v;
    return key;
  }

  /** `#attr = :v` */
  eq(attr: string, v: unknown): string {
    return `${this.name(attr)} = ${this.value(v)}`;
  }

  /** `#attr IN (:a, :b, …)` */
  in(attr: string, vs: readonly unknown[]): string {
    return `${this.name(attr)} IN (${vs.map((v) => this.value(v)).join(', ')})`;
  }

  /** The names and values, each omitted when empty (DynamoDB rejects empty maps). */
  params(): ExpressionParams {
    const out: ExpressionParams = {};
    if (Object.keys(this.names).length > 0) out.ExpressionAttributeNames = { ...this.names };
    if (Object.keys(this.values).length > 0) out.ExpressionAttributeValues = { ...this.values };
    return out;
  }
}

/** An UpdateExpression: SET, REMOVE and ADD clauses plus their placeholders. */
export class UpdateBuilder extends ExprBuilder {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly adds: string[] = [];

  /** SET the attribute, or REMOVE it when `v` is null (absent means null). Undefined is ignored. */
  set(attr: string, v: unknown): this {
    if (v === undefined) return this;
    if (v === null) this.removes.push(this.name(attr));
    else this.sets.push(`${this.name(attr)} = ${this.value(v)}`);
    return this;
  }

  remove(attr: string): this {
    this.removes.push(this.name(attr));
    return this;
  }

  /** ADD a (possibly negative) number; 0 is skipped. */
  add(attr: string, n: number): this {
    if (n !== 0) this.adds.push(`${this.name(attr)} ${this.value(n)}`);
    return this;
  }

  expression(): string {
    const parts: string[] = [];
    if (this.sets.length > 0) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length > 0) parts.push(`REMOVE ${this.removes.join(', ')}`);
    if (this.adds.length > 0) parts.push(`ADD ${this.adds.join(', ')}`);
    return parts.join(' ');
  }

  /** UpdateExpression with its names and values, and an optional ConditionExpression. */
  input(condition?: string): { UpdateExpression: string; ConditionExpression?: string } & ExpressionParams {
    return {
      UpdateExpression: this.expression(),
      ...(condition ? { ConditionExpression: condition } : {}),
      ...this.params(),
    };
  }
}
