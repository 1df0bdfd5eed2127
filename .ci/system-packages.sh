#!/usr/bin/env bash
# System packages the test suite needs, from Debian: chromium and chromium-driver (the web page's
# headless-browser test), espeak-ng and festival with a voice (spoken answers), sox (checks the
# audio). Installed only when missing; without apt-get (or root/sudo) the tests that need them are
# skipped with a message instead.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v text2wave >/dev/null || need+=(festival festvox-kallpc16k)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "warning: no apt-get to install ${need[*]}; the tests that need them will be skipped" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "warning: not root and no sudo to install ${need[*]}; the tests that need them will be skipped" >&2
        exit 0
    fi
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
install() { $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
install || { $sudo apt-get update -qq && install; }
