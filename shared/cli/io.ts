import { readFile } from 'node:fs/promises';

/** Where a command writes its answer, and how it sets the exit code (tests pass their own). */
export interface Out {
  stdout(s: string): void;
  setExit(n: number): void;
}

/** Typed CLI failure: printed as one clear line, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Reads a file, or standard input for "-". */
export async function readInput(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CliError(`cannot read ${path}: ${code}`);
  }
}
