"""Large mail providers: their domains do not lapse, so they are never "re-registered" or
"expiring" (a registration date of 1995 on gmail.com's record says nothing about a user)."""

from __future__ import annotations

LARGE_PROVIDERS = frozenset(
    {
        "gmail.com", "googlemail.com", "google.com", "outlook.com", "hotmail.com",
        "hotmail.co.uk", "live.com", "msn.com", "microsoft.com", "yahoo.com", "yahoo.co.uk",
        "yahoo.co.jp", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com",
        "protonmail.com", "proton.me", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de",
        "mail.ru", "yandex.ru", "yandex.com", "qq.com", "163.com", "126.com", "sina.com",
        "naver.com", "zoho.com", "fastmail.com", "fastmail.fm", "hey.com", "tutanota.com",
        "posteo.de", "mailbox.org", "free.fr", "orange.fr", "laposte.net", "t-online.de",
        "comcast.net", "verizon.net", "att.net", "rediffmail.com", "users.noreply.github.com",
        "github.com",
    }
)  # fmt: skip
