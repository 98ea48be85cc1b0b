# The image for JavaScript runs (the seed's "Node.js support" idea): Node.js, the same non-root
# user, nothing more than it needs.
#
# Online it builds FROM the official Node.js image on Debian (which has python3, for the kit's
# supervisor); offline, `python -m sandbox build` makes a Debian base with nodejs and python3
# with docker/make-base-image.sh and passes it in.
ARG BASE_IMAGE=node:20-bookworm
FROM ${BASE_IMAGE}

ARG KIT_IMAGE_VERSION=unknown
LABEL org.safe-python.image-version="${KIT_IMAGE_VERSION}"

# Same rules as the Python image: the runner uids (10001-10256) and the target's (10000), no
# setuid doors, no package managers or shells beyond /bin/sh. Debian has useradd, Alpine's
# busybox has adduser; the official image's own `node` user (uid 1000) is left alone. The
# kit's supervisor, process 1 of every run, is a Python program: the base must have python3.
RUN command -v python3 >/dev/null || { echo "the kit's supervisor needs python3 in the base image" >&2; exit 1; }
RUN (useradd --uid 10001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin runner \
     || (addgroup -g 10001 runner && adduser -D -H -u 10001 -G runner -h /tmp -s /sbin/nologin runner)) \
 && for uid in $(seq 10002 10256); do echo "runner:x:$uid:$uid::/tmp:/usr/sbin/nologin" >> /etc/passwd; \
      echo "runner:x:$uid:" >> /etc/group; done \
 && echo "target:x:10000:10000::/tmp:/usr/sbin/nologin" >> /etc/passwd && echo "target:x:10000:" >> /etc/group \
 && find / -xdev -type f -perm /6000 -exec chmod a-s {} + \
 && rm -rf /usr/bin/apt /usr/bin/apt-* /usr/bin/dpkg /usr/bin/dpkg-* /usr/bin/perl /usr/bin/perl5* \
          /usr/bin/bash /bin/bash /usr/bin/su /bin/su /usr/bin/mount /bin/mount /usr/bin/umount /bin/umount \
          /sbin/apk /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/yarn /usr/local/bin/corepack \
          /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
          /var/cache/apt/archives/*.deb /var/lib/apt/lists/*

ENV HOME=/tmp
WORKDIR /tmp
USER runner
CMD ["node"]
