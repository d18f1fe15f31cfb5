#!/usr/bin/env python3
"""Writes examples/reports/: a week of realistic DMARC aggregate reports for example.com and
example.org, in the shapes real receivers send them (Google: zip attached to an e-mail;
Microsoft: gzip; Yahoo: plain XML, no whitespace; an RFC 9990 reporter; a Mimecast-style report
with fractional timestamps), plus one failure report and one broken file, so `ingest` shows every
outcome. Deterministic: run it again and the bytes are the same. Addresses are documentation
ranges (RFC 5737 / RFC 3849).

    python3 examples/make_samples.py [OUTDIR]     (default: examples/reports)
"""
import base64
import gzip
import io
import os
import random
import sys
import zipfile

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "reports")
DAY0 = 1763337600  # 2025-11-17 00:00:00 UTC

# Who sends as our domains: (ip, header_from, envelope_from, dkim (domain, selector, result), spf result,
# policy dkim, policy spf, weight)
SOURCES = [
    # our own outbound servers: aligned SPF and DKIM
    ("192.0.2.25", "example.com", "example.com", ("example.com", "mail2025", "pass"), "pass", "pass", "pass", 400),
    ("192.0.2.26", "example.com", "example.com", ("example.com", "mail2025", "pass"), "pass", "pass", "pass", 380),
    ("2001:db8:25::25", "example.com", "example.com", ("example.com", "mail2025", "pass"), "pass", "pass", "pass", 120),
    # an ESP sending newsletters: DKIM aligned, SPF on its own bounce domain
    ("198.51.100.40", "example.com", "bounces.esp.example", ("example.com", "esp1", "pass"), "pass", "pass", "fail", 250),
    # a CRM that signs with its own domain only: fails alignment (to fix before p=reject)
    ("198.51.100.77", "example.com", "crm-mail.example", ("crm-mail.example", "crm", "pass"), "pass", "fail", "fail", 60),
    # a mailing list that breaks DKIM: forwarded mail
    ("203.0.113.9", "example.com", "lists.example.net", ("example.com", "mail2025", "fail"), "pass", "fail", "fail", 12),
    # spoofers
    ("203.0.113.200", "example.com", "example.com", None, "fail", "fail", "fail", 30),
    ("203.0.113.201", "example.org", "example.org", None, "softfail", "fail", "fail", 8),
    # example.org: parked domain with one legitimate sender
    ("192.0.2.80", "example.org", "example.org", ("example.org", "s1", "pass"), "pass", "pass", "pass", 40),
]


def record(rng, src, disposition_for_fail, day_scale):
    ip, hfrom, efrom, dkim, spf_res, pe_dkim, pe_spf, weight = src
    count = max(1, int(weight * day_scale * rng.uniform(0.6, 1.4)))
    aligned = pe_dkim == "pass" or pe_spf == "pass"
    disposition = "none" if aligned else disposition_for_fail
    reason = ""
    if ip == "203.0.113.9":
        reason = "<reason><type>mailing_list</type><comment>list.example.net</comment></reason>"
        disposition = "none"
    dkim_xml = ""
    if dkim:
        dkim_xml = (f"<dkim><domain>{dkim[0]}</domain><selector>{dkim[1]}</selector>"
                    f"<result>{dkim[2]}</result></dkim>")
    return (f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
            f"<disposition>{disposition}</disposition><dkim>{pe_dkim}</dkim><spf>{pe_spf}</spf>{reason}"
            f"</policy_evaluated></row><identifiers><envelope_from>{efrom}</envelope_from>"
            f"<header_from>{hfrom}</header_from></identifiers><auth_results>{dkim_xml}"
            f"<spf><domain>{efrom}</domain><scope>mfrom</scope><result>{spf_res}</result></spf>"
            f"</auth_results></record>")


def report(org, email, rid, domain, begin, recs, version="<version>1.0</version>", ns="", extra_policy="",
           begin_text=None, end_text=None, pretty=True, policy="none"):
    b = begin_text or str(begin)
    e = end_text or str(begin + 86399)
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<feedback{ns}>{version}<report_metadata><org_name>{org}</org_name>'
           f"<email>{email}</email><report_id>{rid}</report_id><date_range><begin>{b}</begin><end>{e}</end>"
           f"</date_range></report_metadata><policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf>"
           f"<p>{policy}</p><sp>{policy}</sp>{extra_policy}<pct>100</pct></policy_published>{''.join(recs)}</feedback>\n")
    if pretty:
        xml = xml.replace("><", ">\n<")
    return xml


def eml(subject, sender, filename, ctype, payload, date_day):
    b64 = base64.encodebytes(payload).decode()
    return (f"From: {sender}\r\nTo: dmarc-reports@example.com\r\nSubject: {subject}\r\n"
            f"Date: Tue, {date_day} Nov 2025 09:12:00 +0000\r\nMessage-ID: <{abs(hash(subject)) % 10**12}@sample.invalid>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n\r\nThis is an aggregate report.\r\n--b1\r\n"
            f"Content-Type: {ctype}; name=\"{filename}\"\r\nContent-Disposition: attachment; filename=\"{filename}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64.replace(chr(10), chr(13) + chr(10))}--b1--\r\n")


def main():
    rng = random.Random(2025)
    os.makedirs(OUT, exist_ok=True)
    for day in range(7):
        begin = DAY0 + day * 86400
        for domain in ("example.com", "example.org"):
            srcs = [s for s in SOURCES if s[1] == domain]
            # Google: zip in an e-mail
            recs = [record(rng, s, "none", 0.5) for s in srcs]
            rid = str(10**18 + rng.randrange(10**17))
            xml = report("google.com", "noreply-dmarc-support@google.com", rid, domain, begin, recs, version="")
            name = f"google.com!{domain}!{begin}!{begin + 86399}"
            zbuf = io.BytesIO()
            with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
                info = zipfile.ZipInfo(name + ".xml", date_time=(2025, 11, 18, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, xml)
            with open(os.path.join(OUT, f"google-{domain}-{day + 17}.eml"), "w", newline="") as f:
                f.write(eml(f"Report domain: {domain} Submitter: google.com Report-ID: {rid}",
                            "noreply-dmarc-support@google.com", name + ".zip", "application/zip", zbuf.getvalue(),
                            day + 18))
            # Microsoft: gzip file
            recs = [record(rng, s, "quarantine", 0.3) for s in srcs]
            rid = "%032x" % rng.getrandbits(128)
            xml = report("Outlook.com", "dmarcreport@microsoft.com", rid, domain, begin, recs,
                         ns=' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
            with open(os.path.join(OUT, f"protection.outlook.com!{domain}!{begin}!{begin + 86399}.xml.gz"), "wb") as f:
                f.write(gzip.compress(xml.encode(), mtime=0))
        # Yahoo: plain XML without whitespace, example.com only
        recs = [record(rng, s, "none", 0.2) for s in SOURCES if s[1] == "example.com"]
        xml = report("Yahoo", "dmarchelp@yahooinc.com", f"{begin}.{rng.randrange(10**6)}", "example.com", begin, recs,
                     pretty=False)
        with open(os.path.join(OUT, f"yahoo.com!example.com!{begin}!{begin + 86399}.xml"), "w") as f:
            f.write(xml)
    # An RFC 9990 reporter and a Mimecast-style report with fractional timestamps.
    recs = [record(rng, s, "none", 0.4) for s in SOURCES if s[1] == "example.com"]
    xml = report("mx.example-isp.net", "dmarc@example-isp.net", "isp-2025-11-20", "example.com", DAY0 + 3 * 86400, recs,
                 version="", ns=' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"',
                 extra_policy="<np>reject</np><testing>n</testing><discovery_method>treewalk</discovery_method>")
    with open(os.path.join(OUT, "example-isp.net!example.com!rfc9990.xml"), "w") as f:
        f.write(xml)
    recs = [record(rng, s, "none", 0.1) for s in SOURCES if s[1] == "example.com"]
    xml = report("Mimecast", "no-reply@mimecastreport.com", "mc-77812", "example.com", DAY0,
                 recs, begin_text=f"{DAY0}.0", end_text=f"{DAY0 + 86399}.0")
    with open(os.path.join(OUT, "mimecast-example.com.xml"), "w") as f:
        f.write(xml)
    # A failure report (recognised and skipped) and a damaged report (rejected, kept in quarantine).
    with open(os.path.join(OUT, "failure-report.eml"), "w", newline="") as f:
        f.write("From: dmarc-failures@receiver.example\r\nTo: ruf@example.com\r\nSubject: DMARC failure report\r\n"
                "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"r\"\r\n\r\n"
                "--r\r\nContent-Type: text/plain\r\n\r\nA message from 203.0.113.200 failed DMARC.\r\n--r\r\n"
                "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: auth-failure\r\nUser-Agent: sample/1.0\r\n"
                "Version: 1\r\nAuth-Failure: dmarc\r\nSource-IP: 203.0.113.200\r\nReported-Domain: example.com\r\n"
                "Identity-Alignment: dkim, spf\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
                "From: ceo@example.com\r\nSubject: urgent invoice\r\n--r--\r\n")
    good = report("broken.example", "x@broken.example", "cut-off", "example.com", DAY0, recs[:2])
    with open(os.path.join(OUT, "truncated-report.xml"), "w") as f:
        f.write(good[: len(good) // 2])


if __name__ == "__main__":
    main()
