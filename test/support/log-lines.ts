/** The JSON lines a relay process printed (pino, one object a line), parsed; anything else it printed is left out. */
export function jsonLogLines<T = Record<string, unknown>>(output: string): T[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}
