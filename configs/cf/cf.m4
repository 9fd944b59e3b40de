divert(-1)
#
# postbox's cf macros: turn a tutorial-style sendmail.mc into the
# sendmail.cf subset that postbox reads (README "Configuration"): classes,
# macros, maps, options, mailers; LOCAL_CONFIG and LOCAL_RULESETS text is
# kept verbatim.  postbox runs no rewriting rules, so none are made.
#
# m4 uses this file when an .mc includes sendmail-cf's cf.m4 from its
# usual places (/usr/share/sendmail-cf/m4/cf.m4,
# /usr/share/sendmail/cf/m4/cf.m4) and the real one is absent; it is
# also compiled into the binary, so a bare image needs no files.
#
# A macro or FEATURE that postbox does not support gets a warning on
# standard error naming it; nothing is dropped silently.
#
# Output order, by diversion: 1 header, 2 macros (D), 3 classes (C, F),
# 4 maps (K), 5 options (O), 6 LOCAL_CONFIG, 7 mailers (M), 8 rulesets
# from LOCAL_RULESETS and friends.

ifdef(`_POSTBOX_CF_', `', `
define(`_POSTBOX_CF_', `1')

# _PB_OUT(div, text): a line into a diversion, then back where we were;
# the text is not rescanned.
define(`_PB_OUT', `pushdef(`_pb_div', divnum)divert(`$1')`$2'
divert(_pb_div)popdef(`_pb_div')')
define(`_PB_TEXT', `pushdef(`_pb_div', divnum)divert(`$1')$2
divert(_pb_div)popdef(`_pb_div')')
define(`_PB_WARN', `errprint(`postbox cf: '`$1'`
')')

# Things read by a sendmail.mc, recorded or written as they come.
define(`VERSIONID', `_PB_OUT(1, `##### '`$1')')
define(`OSTYPE', `define(`_PB_OSTYPE', `$1')_PB_OUT(1, `##### OSTYPE '`$1')dnl
ifdef(`_PB_OSTYPE_$1', `indir(`_PB_OSTYPE_$1')')')
define(`DOMAIN', `ifdef(`_PB_DOMAIN_$1', `indir(`_PB_DOMAIN_$1')',
	`_PB_WARN(`DOMAIN(`$1') is not supported (no domain files), ignored')')')
define(`_PB_DOMAIN_generic', `_PB_OUT(1, `##### DOMAIN generic')dnl
define(`confFORWARD_PATH',
	`$z/.forward.$w+$h:$z/.forward+$h:$z/.forward.$w:$z/.forward')dnl
define(`confMAX_HEADERS_LENGTH', `32768')dnl
FEATURE(`redirect')dnl
FEATURE(`use_cw_file')dnl
EXPOSED_USER(`root')')
# OSTYPE(`debian') and DOMAIN(`debian-mta'), as the sendmail.mc of Debian
# names them: those of their file names and settings that postbox reads.
# The local mailer stays the one of postbox (sensible-mda of Debian comes
# with sendmail).
define(`_PB_OSTYPE_debian', `dnl
define(`confCW_FILE', `/etc/mail/local-host-names %[^\#]')dnl
define(`confCT_FILE', `/etc/mail/trusted-users %[^\#]')dnl
define(`confCR_FILE', `-o /etc/mail/relay-domains %[^\#]')dnl
define(`confDEF_USER_ID', `mail:mail')')
define(`_PB_DOMAIN_debian-mta', `_PB_OUT(1, `##### DOMAIN debian-mta')dnl
define(`confMAX_DAEMON_CHILDREN', `0')dnl
define(`confTO_ICONNECT', `2m')dnl
define(`confTO_MAIL', `2m')dnl
define(`confTO_DATAINIT', `2m')dnl
define(`confTO_RSET', `1m')dnl
define(`confTO_QUIT', `2m')dnl
define(`confTO_COMMAND', `5m')dnl
define(`confTO_IDENT', `5s')dnl
define(`confMAX_HOP', `100')dnl
define(`confPRIVACY_FLAGS', `restrictqrun,restrictexpand')')
define(`HACK', `_PB_WARN(`HACK(`$1') is not supported, ignored')')
define(`SITECONFIG',
	`_PB_WARN(`SITECONFIG(`$1') is not supported, ignored')')

define(`LOCAL_DOMAIN', `_PB_OUT(3, `Cw '`$1')')
define(`RELAY_DOMAIN', `_PB_OUT(3, `CR '`$1')')
define(`RELAY_DOMAIN_FILE', `_PB_OUT(3, `FR-o '`$1')')
define(`MASQUERADE_AS', `_PB_OUT(2, `DM'`$1')')
define(`MASQUERADE_DOMAIN', `_PB_OUT(3, `CM '`$1')')
define(`MASQUERADE_DOMAIN_FILE', `_PB_OUT(3, `FM-o '`$1')')
define(`MASQUERADE_EXCEPTION', `_PB_OUT(3, `C{MasqueradeException} '`$1')')
define(`EXPOSED_USER', `_PB_OUT(3, `CE '`$1')')
define(`EXPOSED_USER_FILE', `_PB_OUT(3, `FE-o '`$1')')
define(`GENERICS_DOMAIN', `_PB_OUT(3, `CG '`$1')')
define(`GENERICS_DOMAIN_FILE', `_PB_OUT(3, `FG-o '`$1')')
define(`VIRTUSER_DOMAIN', `_PB_OUT(3, `C{VirtHost} '`$1')')
define(`VIRTUSER_DOMAIN_FILE', `_PB_OUT(3, `F{VirtHost}-o '`$1')')
define(`LOCAL_USER', `_PB_OUT(3, `CL '`$1')')
define(`LOCAL_USER_FILE', `_PB_OUT(3, `FL-o '`$1')')
define(`TRUST_AUTH_MECH', `_PB_OUT(3, `C{TrustAuthMech} '`$1')')
define(`CANONIFY_DOMAIN', `_PB_OUT(3, `CP '`$1')')
define(`CANONIFY_DOMAIN_FILE', `_PB_OUT(3, `FP-o '`$1')')
define(`DAEMON_OPTIONS', `define(`_PB_DAEMONS')dnl
_PB_OUT(5, `O DaemonPortOptions='`$1')')
define(`CLIENT_OPTIONS', `_PB_OUT(5, `O ClientPortOptions='`$1')')
define(`INPUT_MAIL_FILTER',
	`_PB_WARN(`INPUT_MAIL_FILTER(`$1') is not supported (no milters), ignored')')
define(`MAIL_FILTER',
	`_PB_WARN(`MAIL_FILTER(`$1') is not supported (no milters), ignored')')
define(`QUEUE_GROUP',
	`_PB_WARN(`QUEUE_GROUP(`$1') is not supported, ignored')')

# Verbatim sections: what follows goes to the cf as written.
define(`LOCAL_CONFIG', `divert(6)')
define(`MAILER_DEFINITIONS', `divert(7)')
define(`LOCAL_RULESETS', `divert(8)')
define(`LOCAL_RULE_0', `divert(8)S0
')
define(`LOCAL_RULE_1', `divert(8)S1
')
define(`LOCAL_RULE_2', `divert(8)S2
')
define(`LOCAL_RULE_3', `divert(8)S3
')
define(`LOCAL_NET_CONFIG', `divert(8)')
define(`UUCPSMTP', `_PB_WARN(`UUCPSMTP is not supported, ignored')')

# FEATURE(name, args): maps and files postbox reads; features whose
# effect is the behaviour of postbox or meaningless without rulesets are
# noted in the cf; anything else is a warning.
define(`FEATURE', `ifdef(`_PB_FEAT_$1', `ifdef(`_PB_USED_$1', `',
	`define(`_PB_USED_$1')_PB_FEAT_$1(shift($@))')',
	`_PB_WARN(`FEATURE(`$1') is not supported, ignored')')')
define(`_PB_MAP', `_PB_OUT(4, `K'`$1 'ifelse(`$2', `',
	`hash -o /etc/mail/$3', `$2'))')
define(`_PB_FEAT_access_db', `_PB_MAP(`access', `$1', `access')')
define(`_PB_FEAT_virtusertable',
	`_PB_MAP(`virtuser', `$1', `virtusertable')')
define(`_PB_FEAT_mailertable', `_PB_MAP(`mailertable', `$1', `mailertable')')
define(`_PB_FEAT_genericstable', `_PB_MAP(`generics', `$1', `genericstable')')
define(`_PB_FEAT_domaintable', `_PB_MAP(`domaintable', `$1', `domaintable')')
define(`_PB_FEAT_authinfo', `_PB_MAP(`authinfo', `$1', `authinfo')')
# The class files are written at the end, so that a confCW_FILE defined
# after the FEATURE counts, as in sendmail-cf.  A confCW_FILE is written
# as given (`-o /etc/mail/local-host-names' makes it optional, a scanf
# pattern may follow the name); without one the file is optional.
define(`_PB_FEAT_use_cw_file', `define(`_PB_CW_FILE')')
define(`_PB_FEAT_use_ct_file', `define(`_PB_CT_FILE')')
define(`_PB_FEAT_nullclient', `define(`_PB_NULLCLIENT', `$1')dnl
_PB_OUT(2, `DS'`$1')_PB_OUT(1, `##### nullclient of '`$1')MAILER(`smtp')')
define(`_PB_FEAT_local_procmail', `define(`_PB_PROCMAIL')dnl
ifelse(`$1', `', `', `define(`PROCMAIL_MAILER_PATH', `$1')')dnl
ifelse(`$2', `', `', `define(`PROCMAIL_MAILER_ARGS', `$2')')dnl
ifelse(`$3', `', `', `define(`PROCMAIL_MAILER_FLAGS', `$3')')')
define(`_PB_FEAT_smrsh', `define(`_PB_SMRSH',
	ifelse(`$1', `', `/usr/sbin/smrsh', `$1'))')
define(`_PB_NOTE', `_PB_OUT(1, `##### FEATURE('`$1'`)')')
define(`_PB_NOTED', `define(`_PB_FEAT_$1', `_PB_NOTE(`$1')')')
_PB_NOTED(`redirect')
_PB_NOTED(`always_add_domain')
_PB_NOTED(`nouucp')
_PB_NOTED(`nocanonify')
_PB_NOTED(`no_default_msa')
_PB_NOTED(`accept_unresolvable_domains')
_PB_NOTED(`accept_unqualified_senders')
_PB_NOTED(`blacklist_recipients')
_PB_NOTED(`relay_hosts_only')
_PB_NOTED(`relay_entire_domain')
_PB_NOTED(`relay_local_from')
_PB_NOTED(`relay_based_on_MX')
_PB_NOTED(`masquerade_envelope')
_PB_NOTED(`masquerade_entire_domain')
_PB_NOTED(`allmasquerade')
_PB_NOTED(`limited_masquerade')
_PB_NOTED(`stickyhost')
_PB_NOTED(`virtuser_entire_domain')
_PB_NOTED(`generics_entire_domain')
_PB_NOTED(`preserve_local_plus_detail')
_PB_NOTED(`lookupdotdomain')
_PB_NOTED(`use_client_ptr')
_PB_NOTED(`promiscuous_relay')
_PB_NOTED(`delay_checks')

# MAILER(name): M lines for the mailers postbox knows.
define(`MAILER', `ifdef(`_PB_MAILER_$1', `ifdef(`_PB_MAILED_$1', `',
	`define(`_PB_MAILED_$1')_PB_MAILER_$1`'')',
	`_PB_WARN(`MAILER(`$1') is not supported, ignored')')')
define(`_PB_MAILER_local', `ifdef(`_PB_PROCMAIL',
`_PB_OUT(7, `Mlocal,		P='ifdef(`PROCMAIL_MAILER_PATH',
	`PROCMAIL_MAILER_PATH', `/usr/bin/procmail')`, F='ifdef(
	`PROCMAIL_MAILER_FLAGS', `SPfhn9'`PROCMAIL_MAILER_FLAGS',
	`SPfhn9')`, S=EnvFromL, R=EnvToL, T=DNS/RFC822/X-Unix,
		A='ifdef(`PROCMAIL_MAILER_ARGS', `PROCMAIL_MAILER_ARGS',
	`procmail -Y -a $h -d $u'))',
`_PB_OUT(7, `Mlocal,		P='ifdef(`LOCAL_MAILER_PATH',
	`LOCAL_MAILER_PATH', `/usr/lib/sm.bin/mail.local')`, F=lsDFMAw5:/|@q, S=EnvFromL, R=EnvToL/HdrToL,
		T=DNS/RFC822/X-Unix,
		A='ifdef(`LOCAL_MAILER_ARGS', `LOCAL_MAILER_ARGS',
	`mail.local -l'))')dnl
_PB_OUT(7, `Mprog,		P='ifdef(`_PB_SMRSH', `_PB_SMRSH', `/bin/sh')`, F=lsDFMoqeu9, S=EnvFromL/HdrFromL, R=EnvToL/HdrToL, D=$z:/,
		T=X-Unix/X-Unix/X-Unix,
		A='ifdef(`_PB_SMRSH', `smrsh', `sh')` -c $u')')
define(`_PB_MAILER_smtp', `dnl
_PB_OUT(7, `Msmtp,		P=[IPC], F=mDFMuX, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\r\n, L=990,
		T=DNS/RFC822/SMTP,
		A='ifdef(`SMTP_MAILER_ARGS', `SMTP_MAILER_ARGS', `TCP $h'))dnl
_PB_OUT(7, `Mesmtp,		P=[IPC], F=mDFMuXa, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\r\n, L=990,
		T=DNS/RFC822/SMTP,
		A='ifdef(`ESMTP_MAILER_ARGS', `ESMTP_MAILER_ARGS', `TCP $h'))dnl
_PB_OUT(7, `Msmtp8,		P=[IPC], F=mDFMuX8, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\r\n, L=990,
		T=DNS/RFC822/SMTP,
		A='ifdef(`SMTP8_MAILER_ARGS', `SMTP8_MAILER_ARGS', `TCP $h'))dnl
_PB_OUT(7, `Mdsmtp,		P=[IPC], F=mDFMuXa%, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\r\n, L=990,
		T=DNS/RFC822/SMTP,
		A='ifdef(`DSMTP_MAILER_ARGS', `DSMTP_MAILER_ARGS', `TCP $h'))dnl
_PB_OUT(7, `Mrelay,		P=[IPC], F=mDFMuXa8, S=EnvFromSMTP/HdrFromSMTP, R=MasqSMTP, E=\r\n, L=2040,
		T=DNS/RFC822/SMTP,
		A='ifdef(`RELAY_MAILER_ARGS', `RELAY_MAILER_ARGS', `TCP $h'))')
define(`_PB_MAILER_procmail', `_PB_OUT(7, `Mprocmail,	P='ifdef(
	`PROCMAIL_MAILER_PATH', `PROCMAIL_MAILER_PATH',
	`/usr/bin/procmail')`, F=DFMSPhnu9, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP/HdrFromSMTP,
		T=DNS/RFC822/X-Unix,
		A='ifdef(`PROCMAIL_MAILER_ARGS', `PROCMAIL_MAILER_ARGS',
	`procmail -Y -m $h $f $u'))')
define(`_PB_MAILER_lmtp', `_PB_OUT(7, `Mlmtp,		P='ifdef(`LMTP_MAILER_PATH',
	`LMTP_MAILER_PATH', `[IPC]')`, F=PSXmnz9, S=EnvFromSMTP/HdrFromSMTP, R=EnvToL/HdrToL,
		T=DNS/RFC822/SMTP,
		A='ifdef(`LMTP_MAILER_ARGS', `LMTP_MAILER_ARGS', `TCP $h lmtp'))')

# The options: each conf macro defined anywhere in the .mc becomes its
# O line at the end.
define(`_PB_OPTS', `dnl
_PB_OPT(`ALIAS_FILE', `AliasFile')dnl
_PB_OPT(`QUEUE_DIR', `QueueDirectory')dnl
_PB_OPT(`HELP_FILE', `HelpFile')dnl
_PB_OPT(`STATUS_FILE', `StatusFile')dnl
_PB_OPT(`confFORWARD_PATH', `ForwardPath')dnl
_PB_OPT(`confMAX_MESSAGE_SIZE', `MaxMessageSize')dnl
_PB_OPT(`confMAX_RCPTS_PER_MESSAGE', `MaxRecipientsPerMessage')dnl
_PB_OPT(`confMAX_DAEMON_CHILDREN', `MaxDaemonChildren')dnl
_PB_OPT(`confCONNECTION_RATE_THROTTLE', `ConnectionRateThrottle')dnl
_PB_OPT(`confMAX_HOP', `MaxHopCount')dnl
_PB_OPT(`confMIN_FREE_BLOCKS', `MinFreeBlocks')dnl
_PB_OPT(`confLOG_LEVEL', `LogLevel')dnl
_PB_OPT(`confDELIVERY_MODE', `DeliveryMode')dnl
_PB_OPT(`confPRIVACY_FLAGS', `PrivacyOptions')dnl
_PB_OPT(`confAUTH_MECHANISMS', `AuthMechanisms')dnl
_PB_OPT(`confAUTH_OPTIONS', `AuthOptions')dnl
_PB_OPT(`confSERVER_CERT', `ServerCertFile')dnl
_PB_OPT(`confSERVER_KEY', `ServerKeyFile')dnl
_PB_OPT(`confCACERT', `CACertFile')dnl
_PB_OPT(`confCACERT_PATH', `CACertPath')dnl
_PB_OPT(`confCLIENT_CERT', `ClientCertFile')dnl
_PB_OPT(`confCLIENT_KEY', `ClientKeyFile')dnl
_PB_OPT(`confSMTP_LOGIN_MSG', `SmtpGreetingMessage')dnl
_PB_OPT(`confDEF_USER_ID', `DefaultUser')dnl
_PB_OPT(`confRUN_AS_USER', `RunAsUser')dnl
_PB_OPT(`confTRUSTED_USER', `TrustedUser')dnl
_PB_OPT(`confTO_INITIAL', `Timeout.initial')dnl
_PB_OPT(`confTO_CONNECT', `Timeout.connect')dnl
_PB_OPT(`confTO_ICONNECT', `Timeout.iconnect')dnl
_PB_OPT(`confTO_HELO', `Timeout.helo')dnl
_PB_OPT(`confTO_MAIL', `Timeout.mail')dnl
_PB_OPT(`confTO_RCPT', `Timeout.rcpt')dnl
_PB_OPT(`confTO_DATAINIT', `Timeout.datainit')dnl
_PB_OPT(`confTO_DATABLOCK', `Timeout.datablock')dnl
_PB_OPT(`confTO_DATAFINAL', `Timeout.datafinal')dnl
_PB_OPT(`confTO_RSET', `Timeout.rset')dnl
_PB_OPT(`confTO_QUIT', `Timeout.quit')dnl
_PB_OPT(`confTO_MISC', `Timeout.misc')dnl
_PB_OPT(`confTO_COMMAND', `Timeout.command')dnl
_PB_OPT(`confTO_IDENT', `Timeout.ident')dnl
_PB_OPT(`confTO_QUEUEWARN', `Timeout.queuewarn')dnl
_PB_OPT(`confTO_QUEUERETURN', `Timeout.queuereturn')dnl
_PB_OPT(`confQUEUE_LA', `QueueLA')dnl
_PB_OPT(`confREFUSE_LA', `RefuseLA')dnl
_PB_OPT(`confTRY_NULL_MX_LIST', `TryNullMXList')dnl
_PB_OPT(`confDONT_PROBE_INTERFACES', `DontProbeInterfaces')dnl
_PB_OPT(`confUSERDB_SPEC', `UserDatabaseSpec')dnl
_PB_OPT(`confMAX_HEADERS_LENGTH', `MaxHeadersLength')dnl
_PB_OPT(`confMAX_MIME_HEADER_LENGTH', `MaxMimeHeaderLength')dnl
_PB_OPT(`confSAFE_FILE_ENV', `SafeFileEnvironment')dnl
_PB_OPT(`confDONT_BLAME_SENDMAIL', `DontBlameSendmail')dnl
_PB_OPT(`confCOPY_ERRORS_TO', `PostmasterCopy')dnl
_PB_OPT(`confHOST_STATUS_DIRECTORY', `HostStatusDirectory')dnl
_PB_OPT(`confDEF_CHAR_SET', `DefaultCharSet')dnl
_PB_OPT(`confSEVEN_BIT_INPUT', `SevenBitInput')dnl
_PB_OPT(`confEIGHT_BIT_HANDLING', `EightBitMode')dnl
_PB_OPT(`confMAX_QUEUE_RUN_SIZE', `MaxQueueRunSize')dnl
_PB_OPT(`confQUEUE_SORT_ORDER', `QueueSortOrder')dnl
_PB_OPT(`confMIN_QUEUE_AGE', `MinQueueAge')dnl
_PB_OPT(`confSMTP_MAILER_ARGS', `SmtpMailerArgs')dnl
_PB_OPT(`confBAD_RCPT_THROTTLE', `BadRcptThrottle')dnl
_PB_OPT(`confMAX_RUNNERS_PER_QUEUE', `MaxRunnersPerQueue')dnl
_PB_OPT(`confDIAL_DELAY', `DialDelay')dnl
_PB_OPT(`confNO_RCPT_ACTION', `NoRecipientAction')dnl
_PB_OPT(`confSINGLE_LINE_FROM_HEADER', `SingleLineFromHeader')dnl
_PB_OPT(`confTLS_SRV_OPTIONS', `TLSSrvOptions')dnl
_PB_OPT(`confCIPHER_LIST', `CipherList')dnl
_PB_OPT(`confDH_PARAMETERS', `DHParameters')dnl
_PB_OPT(`confRAND_FILE', `RandFile')dnl
_PB_OPT(`confMILTER_MACROS_CONNECT', `Milter.macros.connect')dnl
_PB_OPT(`confPOSTBOX_MAILBOX', `PostboxMailbox')dnl
_PB_OPT(`confPOSTBOX_VIRTUAL_USERS', `PostboxVirtualUsers')dnl
')
# An O line, rescanned: the value may hold commas and quotes, as in
# the proto.m4 of sendmail.
define(`_PB_OPT', `ifdef(`$1', `pushdef(`_pb_div', divnum)divert(5)dnl
O $2=$1
divert(_pb_div)popdef(`_pb_div')')')

# The end of input: what depends on the whole .mc.
define(`_PB_FINISH', `dnl
ifdef(`confDOMAIN_NAME', `_PB_TEXT(2, `Dj`'confDOMAIN_NAME')')dnl
ifdef(`SMART_HOST', `ifdef(`_PB_NULLCLIENT', `',
	`_PB_TEXT(2, `DS`'SMART_HOST')')')dnl
ifdef(`MAIL_HUB', `_PB_TEXT(2, `DH`'MAIL_HUB')')dnl
ifdef(`_PB_CW_FILE', `_PB_TEXT(3, `Fw`'ifdef(`confCW_FILE', `confCW_FILE',
	`-o /etc/mail/local-host-names')')')dnl
ifdef(`_PB_CT_FILE', `_PB_TEXT(3, `Ft`'ifdef(`confCT_FILE', `confCT_FILE',
	`-o /etc/mail/trusted-users')')')dnl
_PB_TEXT(3, `FR`'ifdef(`confCR_FILE', `confCR_FILE',
	`-o /etc/mail/relay-domains')')dnl
ifdef(`LUSER_RELAY', `_PB_TEXT(2, `DL`'LUSER_RELAY')')dnl
ifdef(`_PB_DAEMONS', `', `_PB_OUT(5, `O DaemonPortOptions=Name=MTA')')dnl
ifdef(`_PB_USED_no_default_msa', `',
	`_PB_OUT(5, `O DaemonPortOptions=Port=587, Name=MSA, M=E')')dnl
_PB_OPTS`'dnl
ifdef(`_PB_MAILED_local', `', `ifdef(`_PB_NULLCLIENT', `',
	`MAILER(`local')')')dnl
')
_PB_OUT(1, `#####')
_PB_OUT(1, `##### sendmail.cf for postbox, made by its cf macros')
_PB_OUT(1, `#####')
_PB_OUT(1, `V10/Berkeley')
_PB_OUT(3, `Cwlocalhost')
m4wrap(`_PB_FINISH')
')
divert(0)dnl
