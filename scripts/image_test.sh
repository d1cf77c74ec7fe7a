#!/usr/bin/env bash
# Builds the connector image from our Dockerfile and runs it, without a Docker daemon:
# 1. a local stand-in for Airbyte's Python base (Debian bookworm minbase + python3, an `airbyte` user with
#    uid 1000 and the /usr/local/bin/python links the real base has), made with debootstrap and imported
#    with buildah, because CI can pull neither Docker Hub images nor run a daemon;
# 2. `buildah build` of our Dockerfile on that base (BASE_IMAGE overridden; vfs storage, chroot isolation);
# 3. `buildah run` of the image's own entrypoint for `spec`, `check` and a small `read` against the emulator
#    (chroot isolation shares the host's network, so the emulator on the host loopback is reachable).
# Needs root and apt the first time (installs buildah and debootstrap). Everything it writes, buildah's
# storage included, stays under .tmp/image_test/ (git-ignored); the base is kept there for the next run.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$REPO_ROOT/.tmp/image_test"
BASE_TAG="localhost/source-tiktok-ads-python-base:bookworm"
IMAGE_TAG="airbyte/source-tiktok-ads:dev"

if [ -z "${IMAGE_TEST_IN_NAMESPACE:-}" ]; then
  if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
      echo "image_test: buildah and debootstrap are missing and only root can install them" >&2
      exit 1
    fi
    echo "image_test: installing buildah and debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap >/dev/null
  fi
  source "$REPO_ROOT/scripts/bootstrap.sh"  # the emulator and the smoke checks run from the project venv
  mkdir -p "$WORK/containers-lib" "$WORK/containers-run" /var/lib/containers /run/containers
  # Rootful buildah keeps a blob cache in /var/lib/containers and runtime files in /run/containers
  # whatever --root says; a private mount namespace with both bound into .tmp/ keeps even those inside
  # the repository (only the two empty mount points exist outside).
  exec unshare --mount --propagation private env IMAGE_TEST_IN_NAMESPACE=1 UV="$UV" bash "$0" "$@"
fi
mount --bind "$WORK/containers-lib" /var/lib/containers
mount --bind "$WORK/containers-run" /run/containers

mkdir -p "$WORK/tmp"
export TMPDIR="$WORK/tmp"
BUILDAH=(buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
cd "$REPO_ROOT"

SECONDS=0
step() { echo "image_test: [${SECONDS}s] $*"; }

if ! "${BUILDAH[@]}" inspect --type image "$BASE_TAG" >/dev/null 2>&1; then
  step "debootstrap: Debian bookworm minbase with python3"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip bookworm "$WORK/rootfs" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  # What Airbyte's base provides and our Dockerfile relies on: `python` in /usr/local/bin, and a
  # non-root `airbyte` user (uid/gid 1000) owning the connector's work directory.
  ln -sf /usr/bin/python3 "$WORK/rootfs/usr/local/bin/python"
  ln -sf /usr/bin/python3 "$WORK/rootfs/usr/local/bin/python3"
  echo "airbyte:x:1000:1000::/home/airbyte:/bin/bash" >>"$WORK/rootfs/etc/passwd"
  echo "airbyte:x:1000:" >>"$WORK/rootfs/etc/group"
  echo "airbyte:!:20000::::::" >>"$WORK/rootfs/etc/shadow"
  mkdir -p "$WORK/rootfs/home/airbyte" "$WORK/rootfs/airbyte/integration_code"
  chown -R 1000:1000 "$WORK/rootfs/home/airbyte" "$WORK/rootfs/airbyte"
  rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
  # The build downloads from PyPI over this machine's network. Where that network re-signs TLS with its
  # own CA (as here), the base must trust what the host trusts: the host's bundle replaces Debian's, and
  # pip and uv (which otherwise use their own CA lists) are pointed at it. Only this stand-in base gets
  # it; the Dockerfile is unchanged.
  cp /etc/ssl/certs/ca-certificates.crt "$WORK/rootfs/etc/ssl/certs/ca-certificates.crt"
  step "importing the base as $BASE_TAG"
  ctr="$("${BUILDAH[@]}" from scratch)"
  mnt="$("${BUILDAH[@]}" mount "$ctr")"
  cp -a "$WORK/rootfs/." "$mnt/"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --env TZ=UTC --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt --workingdir /airbyte/integration_code "$ctr"
  "${BUILDAH[@]}" commit --quiet --rm "$ctr" "$BASE_TAG" >/dev/null
  rm -rf "$WORK/rootfs"
else
  step "reusing the cached base $BASE_TAG"
fi

step "building $IMAGE_TAG from Dockerfile on $BASE_TAG"
"${BUILDAH[@]}" build --isolation chroot --pull=never --layers=false \
  --build-arg "BASE_IMAGE=$BASE_TAG" -f Dockerfile -t "$IMAGE_TAG" . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log"; exit 1; }

step "running spec, check and read in the image"
"$UV" run --frozen python scripts/image_smoke.py --image "$IMAGE_TAG" --buildah "${BUILDAH[*]}"

step "cleaning up (the base stays cached)"
"${BUILDAH[@]}" rmi --force "$IMAGE_TAG" >/dev/null
"${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
step "done"
