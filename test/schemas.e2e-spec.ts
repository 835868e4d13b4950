import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The envelope's proto (proto/, the one source of truth of its shape) is linted, formatted and
 * generated with the project's own buf (@bufbuild/buf) and protoc-gen-es, offline: proto/buf.yaml
 * and proto/buf.gen.yaml (npm run proto:lint, npm run proto:generate).
 */

const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));
const GENERATED_DIR = fileURLToPath(new URL('../src/envelope/gen/', import.meta.url));
const BUF = fileURLToPath(new URL('../node_modules/.bin/buf', import.meta.url));

interface BufRun {
  readonly code: number;
  readonly output: string;
}

async function buf(...args: string[]): Promise<BufRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(BUF, args, { cwd: PROTO_DIR, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Every file under a directory, by its path relative to it, with its text. */
async function filesUnder(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = new Map<string, string>();
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path, 'utf8'));
  }
  return files;
}

describe('proto/', () => {
  it('holds the envelope proto, and buf sees it', async () => {
    const run = await buf('ls-files');
    expect(run).toEqual({ code: 0, output: 'dropea/relay/v1/envelope.proto\n' });
  });

  it('passes buf lint (STANDARD rules)', async () => {
    expect(await buf('lint')).toEqual({ code: 0, output: '' });
  });

  it('is formatted as buf format writes it', async () => {
    expect(await buf('format', '--diff', '--exit-code')).toEqual({ code: 0, output: '' });
  });

  it('is what the committed code in src/envelope/gen was generated from', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'dropea-relay-gen-'));
    try {
      // buf.gen.yaml writes to ../src/envelope/gen; under --output <scratch>/proto that is
      // <scratch>/src/envelope/gen, next to nothing of the working tree.
      const run = await buf('generate', '--output', join(scratch, 'proto'));
      expect(run).toEqual({ code: 0, output: '' });
      const generated = await filesUnder(join(scratch, 'src/envelope/gen'));
      const committed = await filesUnder(GENERATED_DIR);
      expect([...generated.keys()]).toEqual(['dropea/relay/v1/envelope_pb.ts']);
      expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
      for (const [path, text] of generated) {
        expect({ path, upToDate: committed.get(path) === text }).toEqual({ path, upToDate: true });
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
