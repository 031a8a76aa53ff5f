/*
 * xml_check.h - a small XML well-formedness checker for the tests of the SVG and HTML
 * writers: balanced and properly nested tags, quoted attributes without '<', only the five
 * predefined entities or character references, one root element.  It is deliberately
 * stricter than browsers and needs no library; the CLI tests add xmllint on top.
 */
#ifndef REFNET_TESTS_XML_CHECK_H
#define REFNET_TESTS_XML_CHECK_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int xml_entity_ok(const char *p)
{
	static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	for (size_t i = 0; i < 5; i++)
		if (!strncmp(p, names[i], strlen(names[i])))
			return 1;
	if (p[1] != '#')
		return 0;
	p += 2;
	int hex = *p == 'x';
	p += hex;
	const char *start = p;
	while (hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p))
		p++;
	return p > start && *p == ';';
}

/* Returns NULL when text is well-formed, else a static description of the first problem. */
static const char *xml_check(const char *text)
{
	static char problem[256];
	const char *stack[256];
	size_t lens[256];
	int depth = 0, roots = 0;
	const char *p = text;
	while (*p) {
		if (*p == '&') {
			if (!xml_entity_ok(p)) {
				snprintf(problem, sizeof problem, "bad entity at offset %ld",
					 (long)(p - text));
				return problem;
			}
			p++;
			continue;
		}
		if (*p == '>' && depth == 0 && roots == 0) {
			return "stray '>'";
		}
		if (*p != '<') {
			if (depth == 0 && !isspace((unsigned char)*p) && roots)
				return "text after the root element";
			p++;
			continue;
		}
		if (!strncmp(p, "<?", 2) || !strncmp(p, "<!", 2)) {
			const char *end = strchr(p, '>');
			if (!end)
				return "unterminated declaration";
			p = end + 1;
			continue;
		}
		if (p[1] == '/') {
			const char *name = p + 2;
			size_t len = strcspn(name, " >");
			if (depth == 0 || len != lens[depth - 1] ||
			    strncmp(name, stack[depth - 1], len)) {
				snprintf(problem, sizeof problem,
					 "mismatched </%.*s> at offset %ld", (int)len, name,
					 (long)(p - text));
				return problem;
			}
			depth--;
			p = strchr(name, '>');
			if (!p)
				return "unterminated end tag";
			p++;
			continue;
		}
		const char *name = p + 1;
		size_t len = strcspn(name, " \t\n/>");
		if (len == 0)
			return "empty tag name";
		p = name + len;
		for (;;) {
			while (isspace((unsigned char)*p))
				p++;
			if (*p == '>' || (p[0] == '/' && p[1] == '>'))
				break;
			size_t alen = strcspn(p, "= \t\n>");
			if (alen == 0 || p[alen] != '=' || p[alen + 1] != '"') {
				snprintf(problem, sizeof problem,
					 "bad attribute in <%.*s> at offset %ld", (int)len, name,
					 (long)(p - text));
				return problem;
			}
			p += alen + 2;
			while (*p && *p != '"') {
				if (*p == '<')
					return "'<' in an attribute value";
				if (*p == '&' && !xml_entity_ok(p))
					return "bad entity in an attribute value";
				p++;
			}
			if (!*p)
				return "unterminated attribute value";
			p++;
		}
		if (depth == 0 && roots++)
			return "more than one root element";
		if (*p == '/') {
			p += 2;
			continue;
		}
		if (depth == 256)
			return "nesting too deep";
		stack[depth] = name;
		lens[depth] = len;
		depth++;
		p++;
	}
	if (depth)
		return "unclosed element";
	if (!roots)
		return "no root element";
	return NULL;
}

#endif
