#!/usr/bin/env bash
# System packages the test suite needs, from Debian: chromium and chromium-driver (the web page's
# headless-browser test). Installed only when missing; without apt-get (or root/sudo) the browser
# test is skipped with a message instead.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "warning: no apt-get to install ${need[*]}; the browser test will be skipped" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "warning: not root and no sudo to install ${need[*]}; the browser test will be skipped" >&2
        exit 0
    fi
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
install() { $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
install || { $sudo apt-get update -qq && install; }
