# prnr network workload: DHCP, DNS, a 1 MiB download from the host and a
# 1 MiB page served to the host. Needs the user-mode network with a
# forward of the guest's port 8080 and, on the host, an HTTP server at
# 10.0.2.2:$HOSTPORT (the host's 127.0.0.1) that serves /blob.bin, and
# /got (404 until the host has fetched out.bin, then a line to print):
#   prnr run --net user,hostfwd=tcp::8080-:8080 \
#     --script guest/workloads/net.sh
# When the guest prints "net: serving", the host fetches
# http://127.0.0.1:8080/out.bin through the forward.
# apps/cli/src/net-cli.test.ts and bench/suites/net.mjs are such hosts
# (they type a HOSTPORT=... line first). One command per line, under 70
# characters (see smoke.sh).
HOSTPORT=${HOSTPORT:-8000}
U=http://10.0.2.2:$HOSTPORT
udhcpc -i eth0 -n -q
ping -c 1 10.0.2.2
nslookup localhost
wget -q -O /tmp/blob.bin $U/blob.bin
md5sum /tmp/blob.bin
mkdir -p /tmp/www
seq 1 200000 | head -c 1048576 > /tmp/www/out.bin
md5sum /tmp/www/out.bin
httpd -p 8080 -h /tmp/www
echo "net: serving"
until wget -q -O /tmp/got $U/got 2>/dev/null; do sleep 1; done
cat /tmp/got
echo "net: done"
poweroff -f
