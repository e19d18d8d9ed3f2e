export { UserNetwork, GUEST_IP, GATEWAY_IP, DNS_IP, GATEWAY_MAC, NETMASK, type UserNetworkOptions, type UserNetworkStats, type ActiveForward } from './user-network.js';
export { parseNetOption, NetOptionError, type NetOption, type HostForward } from './net-option.js';
export { TcpConnection, TCP_MSS, type TcpConnectionHooks, type TcpConnectionOptions, type TcpState } from './tcp-connection.js';
export { answerDnsQuery, hostResolver, type HostResolver } from './dns-proxy.js';
export { dhcpReply, parseDhcp, type DhcpConfig, type DhcpRequest } from './dhcp-server.js';
export { MalformedPacket } from './wire/malformed.js';
export { ipToString, parseIp } from './wire/ipv4.js';
