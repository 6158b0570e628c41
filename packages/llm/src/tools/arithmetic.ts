/**
 * A small arithmetic evaluator (no `eval`): numbers, + - * / % ^, unary minus and parentheses,
 * with the usual precedence; `^` is right-associative.
 */

/**
 * Evaluates an arithmetic expression.
 *
 * @throws Error saying where the expression stops making sense.
 */
export function evaluateArithmetic(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+|[-+*/%^()]|\S/gi) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const fail = (what: string): never => {
    throw new Error(`${what} at token ${i + 1} of "${expression}"`);
  };

  const primary = (): number => {
    const t = tokens[i++];
    if (t === undefined) return fail('expression ends too early');
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') fail("missing ')'");
      return v;
    }
    if (t === '-') return -power();
    if (t === '+') return power();
    const n = Number(t);
    if (!Number.isFinite(n)) fail(`unexpected '${t}'`);
    return n;
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '^') {
      i++;
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let v = power();
    for (let op = peek(); op === '*' || op === '/' || op === '%'; op = peek()) {
      i++;
      const r = power();
      v = op === '*' ? v * r : op === '/' ? v / r : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      i++;
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };

  const value = sum();
  if (i < tokens.length) fail(`unexpected '${tokens[i]}'`);
  if (!Number.isFinite(value)) throw new Error(`"${expression}" has no finite value (division by zero?)`);
  return value;
}
