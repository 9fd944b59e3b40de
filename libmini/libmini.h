/*
 * libmini: postbox's shared runtime.  This is the index: it includes every
 * module's header, and each header states the contract of its functions
 * (who owns a buffer, the bounds, what is returned).
 *
 * Conventions:
 *  - a module's file name is its prefix (buf.c exports buf_*);
 *  - parsers take (dst, max) and explicit state, allocate nothing, and
 *    return an error on overflow; growable buffers always have a cap;
 *  - x-prefixed helpers exit on error: command-line and setup paths only,
 *    never inside a server session;
 *  - return values: 0 or a count on success, -1 (errno set) on failure,
 *    unless the header says otherwise.
 */
#ifndef LIBMINI_H
#define LIBMINI_H

#include "config.h"
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>

#include "applet.h"
#include "x.h"
#include "priv.h"
#include "buf.h"
#include "str.h"
#include "addr.h"
#include "log.h"
#include "net.h"
#include "io.h"
#include "file.h"
#include "map.h"
#include "cf.h"
#include "mbox.h"
#include "maildir.h"
#include "mailbox.h"
#include "folder.h"
#include "vusers.h"
#include "local.h"
#include "decide.h"
#include "queue.h"
#include "qp.h"
#include "msg.h"
#include "imapmsg.h"
#include "tls.h"
#include "b64.h"
#include "pwhash.h"
#include "auth.h"
#include "privsep.h"
#include "dns.h"
#include "dkim.h"

#endif
