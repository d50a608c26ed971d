import type { ChannelModel } from 'amqplib';

/** The amqplib internals this relies on (amqplib 2.3.1, pinned): the connection's frame multiplexer. */
interface Muxer {
  _readIncoming(): void;
  readonly out: { cork(): void; uncork(): void };
}

/**
 * Makes an amqplib connection write the frames it has ready in one go. amqplib's multiplexer
 * copies frames from its channels to the socket one `write()` each — a publish is two (method and
 * header, then the body), an ack one — and with TCP_NODELAY each write is a system call and a
 * packet of its own. Corking the socket while the multiplexer runs turns all the frames of one turn
 * of the event loop into a single `writev` (fewer system calls for Junction, fewer packets for
 * RabbitMQ); nothing waits, the socket is uncorked before the turn ends. Returns false, changing
 * nothing, if amqplib's internals are not as expected (then frames are written one by one, as
 * before; test/integration/bus/amqp-coalesced-writes.test.ts fails on such an upgrade).
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const muxer = (model as unknown as { connection?: { muxer?: Partial<Muxer> } }).connection?.muxer;
  const out = muxer?.out;
  if (muxer === undefined || typeof muxer._readIncoming !== 'function' || typeof out?.cork !== 'function' || typeof out.uncork !== 'function') {
    return false;
  }
  const readIncoming = muxer._readIncoming.bind(muxer);
  muxer._readIncoming = () => {
    out.cork();
    try {
      readIncoming();
    } finally {
      out.uncork();
    }
  };
  return true;
}
