// Preloaded into a real `timeswarm` process (NODE_OPTIONS=--require …) by the attack tests:
// appends every outgoing TCP connect (host port) to the file named by TIMESWARM_TEST_DIAL_LOG,
// before the connect is attempted. The tests then know every address a victim dialed,
// including ones nothing listens on (10/8, 8.8.8.8, documentation ranges).
const { appendFileSync } = require('node:fs');
const net = require('node:net');

const log = process.env.TIMESWARM_TEST_DIAL_LOG;
if (log) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function recordedConnect(...args) {
    let options = args[0];
    if (Array.isArray(options)) options = options[0];
    if (typeof options !== 'object' || options === null) {
      options = { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined };
    }
    if (options.path === undefined) {
      appendFileSync(log, `${options.host ?? 'localhost'} ${options.port}\n`);
    }
    return connect.apply(this, args);
  };
}
