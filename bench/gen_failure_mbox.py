#!/usr/bin/env python3
"""Writes an mbox of N synthetic DMARC failure reports (RFC 6591 ARF auth-failure, as a botnet
spoofing one domain causes them): a report mail per failed message, from a few reporters, with a
feedback part and a text/rfc822-headers sample. Deterministic for a seed.

    gen_failure_mbox.py --n 100000 --out failures.mbox [--seed 1]
"""
import argparse
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    reporters = ["mx.receiver%d.example" % i for i in range(8)]
    kinds = ["dmarc", "spf", "dkim", "bodyhash"]
    base = 1733097600  # 2024-12-02
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    import time
    with open(a.out, "w", newline="") as f:
        for i in range(a.n):
            rep = reporters[i % len(reporters)]
            ip = "198.51.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
            t = time.gmtime(base + i)
            date = "%s, %d %s %d %02d:%02d:%02d +0000" % (
                ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][t.tm_wday], t.tm_mday, months[t.tm_mon - 1], t.tm_year,
                t.tm_hour, t.tm_min, t.tm_sec)
            domain = "brand%d.example" % (i % 4)
            f.write("From dmarc@%s Mon Dec  2 00:00:00 2024\n" % rep)
            f.write("From: DMARC reports <dmarc@%s>\nTo: ruf@%s\nSubject: DMARC failure report for %s\n" % (rep, domain, domain))
            f.write("Date: %s\nMessage-ID: <r%d@%s>\nMIME-Version: 1.0\n" % (date, i, rep))
            f.write("Content-Type: multipart/report; report-type=feedback-report; boundary=\"b%d\"\n\n" % i)
            f.write("--b%d\nContent-Type: text/plain\n\nA message claiming to be from %s failed DMARC.\n\n" % (i, domain))
            f.write("--b%d\nContent-Type: message/feedback-report\n\n" % i)
            f.write("Feedback-Type: auth-failure\nUser-Agent: SyntheticReceiver/1.0\nVersion: 1\n")
            f.write("Auth-Failure: %s\nIdentity-Alignment: none\nSource-IP: %s\nArrival-Date: %s\n" % (kinds[i % 4], ip, date))
            f.write("Original-Mail-From: <bounce%d@%s>\nOriginal-Rcpt-To: <user%d@receiver.example>\n" % (i, domain, i % 997))
            f.write("Reported-Domain: %s\nReporting-MTA: dns; %s\nDelivery-Result: reject\n" % (domain, rep))
            f.write("DKIM-Domain: %s\nDKIM-Selector: s%d\n" % (domain, i % 3))
            f.write("Authentication-Results: %s; dmarc=fail header.from=%s; spf=fail smtp.mailfrom=%s\n\n" % (rep, domain, domain))
            f.write("--b%d\nContent-Type: text/rfc822-headers\n\n" % i)
            f.write("Received: from bot%d.example ([%s]) by %s; %s\n" % (i, ip, rep, date))
            f.write("From: \"Support\" <support@%s>\nTo: <user%d@receiver.example>\n" % (domain, i % 997))
            f.write("Subject: =?UTF-8?B?WW91ciBhY2NvdW50IOKAkyBhY3Rpb24gbmVlZGVk?=\nDate: %s\n" % date)
            f.write("Message-ID: <spam%d.%d@bot.example>\n\n--b%d--\n\n" % (i, rnd.randrange(1 << 30), i))


if __name__ == "__main__":
    main()
