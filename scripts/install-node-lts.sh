#!/usr/bin/env bash
# Obtains the Node.js LTS the tests also run on (besides the machine's Node), from the npm
# registry's official builds (package node-<platform>-<arch>), cached outside the repo like the
# Temporal CLI. Prints the folder that holds its bin/ and include/ (use it as npm_config_nodedir).
set -euo pipefail

version="${NODE_LTS_VERSION:-24.22.3}"
platform="$(node -p 'process.platform + "-" + process.arch')"
dir="${HOME}/.cache/freshchat-ai-agent/node-${version}-${platform}"

if [[ ! -x "${dir}/bin/node" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT
  (cd "${work}" && npm pack "node-${platform}@${version}" --silent >/dev/null)
  mkdir -p "${dir}"
  tar -xzf "${work}"/node-*.tgz -C "${dir}" --strip-components=1
fi

"${dir}/bin/node" --version >/dev/null
echo "${dir}"
