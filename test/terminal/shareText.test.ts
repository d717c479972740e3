import type { PeerSummary } from '../../src/p2p/peerSummary';
import { shareSummaryText, widestLine } from '../../src/terminal';

const sha = 'ab'.repeat(32);
const summary: PeerSummary = {
  outcome: 'failed',
  peerId: 'A4HUEZNEOT7YFZJTUXHOBJ7GV3VBESU64ZQTGEAZ47PJQ32G7PYQ',
  address: '127.0.0.1:7001',
  dir: '/tmp/x',
  expected: 3,
  files: [
    { name: 'a.bin', size: 200_000, sha256: sha, origin: 'own', state: 'complete', path: null },
    {
      name: `a-rather-long-file-name-${'x'.repeat(60)}.bin`,
      size: 1_000_000,
      sha256: sha,
      origin: 'network',
      state: 'receiving',
      path: null,
    },
  ],
  missing: [
    {
      name: 'c.bin',
      reason:
        'no peer that has it answered within the give-up time (15 s); last seen at 127.0.0.3:7003',
      chunksHeld: 3,
      chunks: 16,
    },
  ],
  error: { code: 'ERR_MISSING_FILES', message: '1 file missing after the give-up time' },
  peers: [],
  bootstrap: [],
  bytes: { wireSent: 0, wireReceived: 0, chunkSent: 0, chunkReceived: 0, duplicate: 0 },
  chunks: { sent: 0, received: 0, duplicates: 0, bad: 0 },
  banned: [],
  received: [],
  startedAt: 0,
  durationMs: 20_000,
  completeAfterMs: null,
};

test.each([80, 120, 200])(
  'the share summary fits %i columns and keeps the codes at line starts',
  (width) => {
    const text = shareSummaryText(summary, width);
    expect(widestLine(text)).toBeLessThanOrEqual(width);
    expect(text).toMatch(/^error ERR_MISSING_FILES:/m);
    expect(text).toMatch(/^missing c\.bin:/m);
    expect(text).toContain('verified');
  },
);
