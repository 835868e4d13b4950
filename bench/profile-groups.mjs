// How bench/profile-summary.mjs and bench/allocation-summary.mjs group a V8 profile's frames.
import { basename } from 'node:path';

/** The group of a frame: its package, the relay's folder, the Node.js module, or V8's entry. */
export function groupOf({ url, functionName }) {
  if (url === '') return functionName.startsWith('(') ? functionName : `native ${functionName || '(anonymous)'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const own = /\/dist\/(?:([^/]+)\/)?[^/]+$/.exec(url);
  if (own) return `relay ${own[1] ?? '(top level)'}`;
  return basename(url);
}
