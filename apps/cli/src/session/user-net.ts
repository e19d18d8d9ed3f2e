/** `--net user[,hostfwd=...]` for `prnr run` and `prnr record`: the user-mode network behind the guest's virtio-net. */
import { NetOptionError, parseNetOption, UserNetwork } from '@prnr/usernet';
import { UsageError } from '../usage-error.js';

export const NET_OPTION_HELP = "user-mode network (QEMU's -netdev user): 'user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT...]'; guest 10.0.2.15 by DHCP, host at 10.0.2.2, DNS 10.0.2.3";

/** Parses the option, opens the forwarded host ports, and says on stderr where they listen. */
export async function openUserNetwork(text: string): Promise<UserNetwork> {
  let option;
  try {
    option = parseNetOption(text);
  } catch (e) {
    if (e instanceof NetOptionError) throw new UsageError(e.message);
    throw e;
  }
  const net = new UserNetwork({ hostForwards: option.hostForwards });
  try {
    await net.start();
  } catch (e) {
    await net.close();
    throw new UsageError(`--net: ${(e as Error).message}`);
  }
  for (const f of net.forwards) process.stderr.write(`prnr: hostfwd tcp ${f.hostAddress}:${f.hostPort} -> guest ${f.guestAddress}:${f.guestPort}\n`);
  return net;
}
