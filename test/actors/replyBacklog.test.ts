import { ReplyBacklog } from '../../src/actors/server/replyBacklog';

describe('ReplyBacklog', () => {
  test('judges nothing before the first ack (a client without acks costs nothing)', () => {
    const backlog = new ReplyBacklog();
    for (let i = 0; i < 100; i++) backlog.recordSent(i);
    expect(backlog.unread).toBe(0);
    expect(backlog.oldestUnreadMs(1_000_000)).toBe(0);
  });

  test('the oldest reply not acknowledged sets the age; acks release replies in order', () => {
    const backlog = new ReplyBacklog();
    expect(backlog.acknowledge(0)).toBe(true);
    backlog.recordSent(100); // reply 0
    backlog.recordSent(110); // reply 1
    backlog.recordSent(120); // reply 2
    expect(backlog.oldestUnreadMs(150)).toBe(50);
    expect(backlog.acknowledge(1)).toBe(true);
    expect(backlog.oldestUnreadMs(150)).toBe(40);
    expect(backlog.unread).toBe(2);
    // A late (lower) ack changes nothing.
    expect(backlog.acknowledge(0)).toBe(true);
    expect(backlog.oldestUnreadMs(150)).toBe(40);
    expect(backlog.acknowledge(3)).toBe(true);
    expect(backlog.unread).toBe(0);
    expect(backlog.oldestUnreadMs(10_000)).toBe(0);
  });

  test('an ack of more replies than were sent is refused (a provable lie)', () => {
    const backlog = new ReplyBacklog();
    backlog.recordSent(1);
    expect(backlog.acknowledge(2)).toBe(false);
    expect(backlog.acknowledge(1)).toBe(true);
  });

  test('tracking starts at the first ack: earlier replies are not judged', () => {
    const backlog = new ReplyBacklog();
    backlog.recordSent(0);
    backlog.recordSent(1);
    expect(backlog.acknowledge(0)).toBe(true);
    expect(backlog.oldestUnreadMs(1000)).toBe(0);
    backlog.recordSent(500); // reply 2
    expect(backlog.oldestUnreadMs(1000)).toBe(500);
    expect(backlog.acknowledge(2)).toBe(true);
    expect(backlog.oldestUnreadMs(1000)).toBe(500);
    expect(backlog.acknowledge(3)).toBe(true);
    expect(backlog.unread).toBe(0);
  });

  test('stays exact over many replies acknowledged a few at a time (compaction)', () => {
    const backlog = new ReplyBacklog();
    backlog.acknowledge(0);
    let acked = 0;
    for (let i = 0; i < 10_000; i++) {
      backlog.recordSent(i);
      if (i % 7 === 6) {
        acked = i - 2; // replies up to i − 3 read
        expect(backlog.acknowledge(acked)).toBe(true);
        expect(backlog.oldestUnreadMs(i)).toBe(i - acked);
        expect(backlog.unread).toBe(i + 1 - acked);
      }
    }
  });
});
