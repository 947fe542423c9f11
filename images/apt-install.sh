#!/bin/sh
# Installs Debian packages in an image build, the same way in every image: without recommends,
# without letting a maintainer script start a service (policy-rc.d), and leaving no apt lists
# or caches in the layer. Usage (build context: repo root):
#   COPY images/apt-install.sh /tmp/apt-install.sh
#   RUN sh /tmp/apt-install.sh PACKAGE...
set -eux
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/sbin/policy-rc.d /tmp/apt-install.sh
