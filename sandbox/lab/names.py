"""Environment names that look like secrets: the probe never shows their values, the audit flags them."""

import re

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASS|CREDENTIAL|AUTH|COOKIE|PRIVATE|SESSION|CERT", re.I)
