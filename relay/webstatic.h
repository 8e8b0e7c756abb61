/*
 * webstatic.h — owns the two files the victim's pages load from the relay
 * itself (no CDN, no web fonts): one small mobile-first stylesheet and one
 * optional script. The script only adds what needs JavaScript: the SHA-256
 * of the e-mails kept as evidence, computed in the browser (the files are
 * never uploaded), and a live countdown on the case page. Every page works
 * without it.
 */
#ifndef RELAY48_WEBSTATIC_H
#define RELAY48_WEBSTATIC_H

#include <stddef.h>

/* The file called name ("style.css", "app.js"), its content type and
 * length; NULL when there is none. */
const char *webstatic_get(const char *name, const char **content_type, size_t *len);

#endif
