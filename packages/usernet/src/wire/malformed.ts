/** A frame the stack cannot parse: it is dropped and counted, never answered. */
export class MalformedPacket extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPacket';
  }
}
