import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The spool's single-owner lock: a `LOCK` file holding the owner's pid, created exclusively.
 * A lock whose process is gone is taken over, so a spool left by `kill -9` opens again.
 */

const LOCK_FILE = 'LOCK';
/** Spools this process holds, so its own pid in a LOCK can be told from a previous run's. */
const heldByThisProcess = new Set<string>();

/** Takes the LOCK of the spool at `dir` (an absolute path), or takes over a dead holder's. */
export async function acquireLock(dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  if (!(await tryCreateLock(path))) {
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    const ours = holder === process.pid && heldByThisProcess.has(dir);
    if (ours || (holder !== process.pid && isAlive(holder))) {
      throw new Error(`The spool at ${dir} is locked by running process ${holder}`);
    }
    // The holder died without closing (or was an earlier run with the same pid, as in containers).
    await unlink(path).catch(() => undefined);
    if (!(await tryCreateLock(path))) throw new Error(`The spool at ${dir} was locked by another process meanwhile`);
  }
  heldByThisProcess.add(dir);
}

async function tryCreateLock(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export async function releaseLock(dir: string): Promise<void> {
  heldByThisProcess.delete(dir);
  await unlink(join(dir, LOCK_FILE)).catch(() => undefined);
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
