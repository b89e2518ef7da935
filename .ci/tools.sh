#!/usr/bin/env bash
# Installs the command-line tools the test suite checks documents with, when missing: poppler's
# pdftotext and pdftoppm (invoice PDFs) and libxml2's xmllint (UBL XML against its schemas).
set -euo pipefail

need=()
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v xmllint >/dev/null || need+=(libxml2-utils)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v xmllint >/dev/null
