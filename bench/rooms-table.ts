// The rooms bench's table (`npm run bench -- rooms`; BENCH_ROOM_MEMBERS, 100,1000 by default;
// BENCH_MEMBER_PROCESSES, 4: the child processes the members run in). 5,000 members is the
// issue's size, asked for, not default: filling a room of 5,000 takes minutes (docs/BENCHMARKS.md,
// "Rooms").
import { runRoomsBench } from './rooms-bench.js';

export async function printRooms(): Promise<void> {
  const sizes = (process.env['BENCH_ROOM_MEMBERS'] ?? '100,1000').split(',').map(Number);
  const processes = Number(process.env['BENCH_MEMBER_PROCESSES'] ?? 4);
  console.log(
    `a named room: lines from a sender none of its members heard from (default flood control, one server, the members in ${processes} processes, the sender in this one)\n`,
  );
  const header = [
    'members'.padStart(7),
    'first line ms'.padStart(14),
    'second line ms'.padStart(15),
    'after a leave ms'.padStart(17),
    'unreadable'.padStart(12),
    'sender keys ms'.padStart(18),
    'sender sealing ms'.padStart(18),
  ];
  console.log(header.join('  '));
  for (const members of sizes) {
    const r = await runRoomsBench(members, processes);
    console.log(
      [
        String(r.members).padStart(7),
        Math.round(r.firstLineMs).toLocaleString('en-US').padStart(14),
        Math.round(r.secondLineMs).toLocaleString('en-US').padStart(15),
        Math.round(r.afterLeaveMs).toLocaleString('en-US').padStart(17),
        r.unreadable.join(' / ').padStart(12),
        r.lookupMs
          .map((ms) => Math.round(ms))
          .join(' / ')
          .padStart(18),
        r.sealMs
          .map((ms) => Math.round(ms))
          .join(' / ')
          .padStart(18),
      ].join('  '),
    );
  }
  console.log('');
}
