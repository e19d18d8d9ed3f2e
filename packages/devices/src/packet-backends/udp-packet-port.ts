/**
 * A PacketPort over a UDP socket: each datagram carries one Ethernet frame.
 * Host side only (it uses node:dgram); devices never import it. Two prnr
 * machines, or a machine and a user-space switch, exchange frames by pointing
 * each one's `peer` at the other's `bind`.
 *
 * Datagrams arrive asynchronously and wait in a bounded queue until the
 * device asks (`receive()`); when the queue is full the oldest is dropped.
 * Under recording this port is wrapped by the recorder, which logs what
 * `receive()` returned and when.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { PacketPort } from '../ports.js';

export interface UdpEndpoint {
  address: string;
  port: number;
}

export interface UdpPacketPortOptions {
  /** Local address and port (port 0: any free port). Default 127.0.0.1:0. */
  bind?: Partial<UdpEndpoint>;
  /** Where transmitted frames go. */
  peer: UdpEndpoint;
  /** Received frames kept at most. Default 256. */
  maxQueued?: number;
}

export class UdpPacketPort implements PacketPort {
  private readonly queue: Uint8Array[] = [];
  private readonly maxQueued: number;
  private closed = false;
  /** Frames dropped because the queue was full. */
  dropped = 0;

  private constructor(private readonly socket: Socket, private readonly peer: UdpEndpoint, maxQueued: number) {
    this.maxQueued = maxQueued;
    socket.on('message', (msg) => {
      if (this.queue.length >= this.maxQueued) {
        this.queue.shift();
        this.dropped++;
      }
      this.queue.push(new Uint8Array(msg));
    });
  }

  /** Opens and binds the socket. */
  static open(options: UdpPacketPortOptions): Promise<UdpPacketPort> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.bind?.port ?? 0, options.bind?.address ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new UdpPacketPort(socket, options.peer, options.maxQueued ?? 256));
      });
    });
  }

  /** The bound local endpoint. */
  get local(): UdpEndpoint {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Frames waiting for the device. */
  get queued(): number {
    return this.queue.length;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.socket.send(Buffer.from(frame), this.peer.port, this.peer.address);
  }

  receive(): Uint8Array | null {
    return this.queue.shift() ?? null;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
