#!/usr/bin/python3
"""mkmbox: the mail test's fixture mailboxes, made with Python's mailbox
module (as other programs write them).

    mkmbox.py inbox PATH        six messages: plain, EUC-KR, CP949,
                                ISO-2022-KR, HTML with a PDF, Latin-1 QP
    mkmbox.py maildir PATH      the same six in a Maildir
    mkmbox.py big PATH N        N small messages"""
import mailbox, sys, time
from email.message import EmailMessage

def msgs():
    out = []
    m = EmailMessage()
    m['From'] = 'root <root@host>'
    m['To'] = 'jy@host'
    m['Subject'] = 'Hi JY'
    m['Date'] = 'Thu, 21 May 2026 17:31:00 +0000'
    m['Message-ID'] = '<hi.jy@host>'
    m.set_content('Hello JY\nsecond line\n')
    out.append(m.as_bytes())
    out.append(b'From: =?EUC-KR?B?x9Gx2yDBprjx?= <kim@kr>\nTo: jy@host\n'
        b'Subject: =?EUC-KR?B?x9Gx2yDBprjx?=\n'
        b'Date: Fri, 22 May 2026 09:00:00 +0900\nMIME-Version: 1.0\n'
        b'Content-Type: text/plain; charset=euc-kr\n'
        b'Content-Transfer-Encoding: 8bit\n\n' +
        '안녕하세요 본문입니다\n'.encode('euc-kr'))
    out.append(b'From: lee@kr\nTo: jy@host\n'
        b'Subject: =?ks_c_5601-1987?B?jGO55rCix88=?=\n'
        b'Date: Fri, 22 May 2026 10:00:00 +0900\nMIME-Version: 1.0\n'
        b'Content-Type: text/plain; charset="ks_c_5601-1987"\n'
        b'Content-Transfer-Encoding: base64\n\njGO55rCix88gu+e/67ChCg==\n')
    out.append(b'From: park@kr\nTo: jy@host\n'
        b'Subject: =?ISO-2022-KR?B?GyQpQw4+SDNnDw==?=\n'
        b'Date: Fri, 22 May 2026 11:00:00 +0900\nMIME-Version: 1.0\n'
        b'Content-Type: text/plain; charset=iso-2022-kr\n\n' +
        '안녕 hi 세계\n'.encode('iso2022_kr'))
    h = EmailMessage()
    h['From'] = 'Web <web@x>'
    h['To'] = 'jy@host'
    h['Subject'] = 'html only'
    h['Date'] = 'Sat, 23 May 2026 10:00:00 +0000'
    h.set_content('<html><head><style>p {}</style></head><body><p>Para '
        '<b>one</b></p><p>two &amp; three<br>four</p></body></html>',
        subtype='html')
    h.add_attachment(b'%PDF-1.4 data\n', maintype='application',
        subtype='pdf', filename='report.pdf')
    out.append(h.as_bytes())
    out.append(b'From: =?ISO-8859-1?Q?Andr=E9?= <andre@fr>\nTo: jy@host\n'
        b'Subject: =?ISO-8859-1?Q?caf=E9?=\n'
        b'Date: Sun, 24 May 2026 08:00:00 +0000\nMIME-Version: 1.0\n'
        b'Content-Type: text/plain; charset=iso-8859-1\n'
        b'Content-Transfer-Encoding: quoted-printable\n\n'
        b'Caf=E9 cr=E8me, soft=\nbreak\nFrom the start\n')
    return out

def stamp(i):
    return time.strptime('Mon Jun  1 0%d:00:00 2026' % i,
        '%a %b %d %H:%M:%S %Y')

kind, path = sys.argv[1], sys.argv[2]
if kind == 'inbox':
    mb = mailbox.mbox(path)
    for i, raw in enumerate(msgs()):
        m = mailbox.mboxMessage(raw)
        m.set_from('sender%d@host' % i, stamp(i))
        mb.add(m)
    mb.close()
elif kind == 'maildir':
    md = mailbox.Maildir(path)
    for raw in msgs():
        md.add(mailbox.MaildirMessage(raw))
elif kind == 'big':
    n = int(sys.argv[3])
    with open(path, 'w') as f:
        for i in range(n):
            f.write('From user%d@host Mon Jun  1 00:00:00 2026\n'
                'From: user%d@host\nTo: jy@host\nSubject: message %d\n'
                'Date: Mon, 1 Jun 2026 00:00:00 +0000\n\nbody %d\n'
                'From inside the body\n\n' % (i % 7, i % 7, i + 1, i + 1))
