/*
 * fields.c - prints what the output field lists describe, for the docs and
 * the tests: the CSV headers, the JSON Schemas of a record, a health row and
 * an alert, the field names, and Zeek's #fields / #types lines. Built from
 * the same headers as the writers (record_fields.h, health_fields.h,
 * alert_fields.h, summary_fields.h, zeek_fields.h), so it cannot drift from
 * them.
 *
 *   fields csv-header [--events]   the first line of tcpshake -o csv
 *   fields schema                  docs/record.schema.json (JSON Schema 2020-12)
 *   fields health-csv-header       the first line of tcpshake --by -o csv
 *   fields health-schema           docs/health.schema.json
 *   fields alert-schema            docs/alert.schema.json
 *   fields summary-schema          docs/summary.schema.json
 *   fields interval-schema         docs/interval.schema.json (--stats-interval -o json)
 *   fields names                   every field name of every list, one a line
 *                                  (the man page must document each)
 *   fields zeek-header             the #fields and #types lines of -o zeek
 *
 * The schema is one more encoding of the field list: describe_<kind> gives
 * each kind its JSON type, nullability and, for names, the allowed values.
 */
#include <stdio.h>
#include <string.h>

#include "alert_fields.h"
#include "health_fields.h"
#include "record_fields.h"
#include "summary_fields.h"
#include "tcpshake.h"
#include "zeek_fields.h"

#define MAX_FIELDS 128
#define MAX_NAMES  40

#define TEXT_OF(macro) TEXT(macro)
#define TEXT(x)        #x

struct field {
    const char *name;
    const char *group; /* a group's name ("client"), whose fields are its members'; or NULL */
    const struct doc *members;    /* a group's fields */
    const char *def;              /* a group's schema in $defs ("side", "tls"), or an object of
                                     its own, "#/$defs/<def>" (LIST, OBJECT); or NULL */
    unsigned max_items;           /* with def: an array of at most max_items such objects; 0: one */
    bool nullable;                /* a group that may be null */
    bool tally;                   /* an object of one count per name */
    const char *schema;           /* JSON Schema keywords of the value, without braces */
    const char *names[MAX_NAMES]; /* name fields: the allowed values */
    unsigned n_names;
    bool list;     /* an array of such names */
    bool optional; /* may be left out of the object */
};

struct doc {
    struct field fields[MAX_FIELDS];
    unsigned n_fields;
};

static struct doc side_doc, tls_doc; /* the groups' members */

static struct field *add(struct doc *d, const char *name, const char *schema)
{
    if (d->n_fields == MAX_FIELDS) {
        fprintf(stderr, "fields: more than %d fields\n", MAX_FIELDS);
        return &d->fields[MAX_FIELDS - 1];
    }
    struct field *f = &d->fields[d->n_fields++];
    memset(f, 0, sizeof(*f));
    f->name = name;
    f->schema = schema;
    return f;
}

/* One function per kind (record_fields.h), taking the args the encoders take. */

static void describe_count(struct doc *d, const char *name, uint64_t v)
{
    (void)v;
    add(d, name, "\"type\": \"integer\", \"minimum\": 0");
}

static void describe_schema(struct doc *d, const char *name, uint64_t v)
{
    (void)v;
    add(d, name,
        "\"const\": " TEXT_OF(TCPSHAKE_SCHEMA_VERSION) ", \"description\": \"the shape's version: "
                                                       "fields are only added within one\"");
}

static void describe_opt(struct doc *d, const char *name, bool present, uint64_t v)
{
    (void)present;
    (void)v;
    add(d, name, "\"type\": [\"integer\", \"null\"], \"minimum\": 0");
}

static void describe_time(struct doc *d, const char *name, uint64_t ns)
{
    (void)ns;
    add(d, name,
        "\"type\": [\"integer\", \"string\", \"null\"], "
        "\"pattern\": \"^[0-9]+\\\\.[0-9]{9}$|^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
        "[0-9]{2}\\\\.[0-9]{9}Z$\", "
        "\"description\": \"ns since the epoch (--time-format ns, the default), or "
        "as --time-format asks: s, iso (strings), offset (ns since the first packet); "
        "null when not seen\"");
}

static void describe_duration(struct doc *d, const char *name, int64_t ns)
{
    (void)ns;
    add(d, name,
        "\"type\": [\"integer\", \"null\"], \"description\": \"ns; null when not measured\"");
}

static void describe_flag(struct doc *d, const char *name, bool v)
{
    (void)v;
    add(d, name, "\"type\": \"boolean\"");
}

/* A macro, as for the encoders: each name table has its own enum type. */
#define describe_name(d, field_name, name_fn, v, n)                                                \
    do {                                                                                           \
        struct field *f_ = add(d, field_name, NULL);                                               \
        for (unsigned i_ = 0; i_ < (n) && i_ < MAX_NAMES; i_++) {                                  \
            f_->names[f_->n_names++] = name_fn(i_);                                                \
        }                                                                                          \
    } while (0)

static void describe_text(struct doc *d, const char *name, const char *chars, size_t max_len)
{
    (void)chars;
    (void)max_len;
    add(d, name, "\"type\": \"string\"");
}

static void describe_gaps(struct doc *d, const char *name, const int64_t *ns, uint32_t n)
{
    (void)ns;
    (void)n;
    add(d, name,
        "\"type\": \"array\", \"items\": { \"type\": \"integer\" }, \"maxItems\": " TEXT_OF(
                TCPSHAKE_MAX_GAPS) ", \"description\": \"ns\"");
}

static void describe_anomalies(struct doc *d, const char *name, uint32_t bits)
{
    (void)bits;
    struct field *f = add(d, name, NULL);
    f->list = true;
    for (unsigned bit = 0; bit < 32 && f->n_names < MAX_NAMES; bit++) {
        const char *anomaly = tcpshake_anomaly_name(UINT32_C(1) << bit);
        if (anomaly != NULL) {
            f->names[f->n_names++] = anomaly;
        }
    }
}

static void describe_addr(struct doc *d, const char *name, const struct tcpshake_record *r,
                          const struct tcpshake_side *sd)
{
    (void)r;
    (void)sd;
    add(d, name, "\"type\": \"string\", \"description\": \"dotted quad, or IPv6 as in RFC 5952\"");
}

static void describe_iso_stamp(struct doc *d, const char *name, uint64_t ns)
{
    (void)ns;
    add(d, name,
        "\"type\": \"string\", "
        "\"pattern\": \"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{9}Z$\"");
}

static void describe_pct(struct doc *d, const char *name, uint64_t part, uint64_t whole)
{
    (void)part;
    (void)whole;
    add(d, name,
        "\"type\": \"number\", \"minimum\": 0, \"maximum\": 100, "
        "\"description\": \"percent, 2 decimals; 0 when there is nothing to divide by\"");
}

static void describe_real(struct doc *d, const char *name, double v)
{
    (void)v;
    add(d, name, "\"type\": \"number\"");
}

static void describe_ip(struct doc *d, const char *name, bool present, const uint8_t *addr,
                        uint8_t ip_version)
{
    (void)present;
    (void)addr;
    (void)ip_version;
    add(d, name,
        "\"type\": [\"string\", \"null\"], \"description\": \"dotted quad, or IPv6 as in RFC "
        "5952\"");
}

static void describe_some(struct doc *d, const char *name, bool present, uint64_t v)
{
    (void)present;
    (void)v;
    add(d, name, "\"type\": \"integer\", \"minimum\": 0")->optional = true;
}

/* A macro, as for names: each caller has its own name function. */
#define describe_flags(d, field_name, name_fn, bits, n)                                            \
    do {                                                                                           \
        (void)(bits);                                                                              \
        struct field *f_ = add(d, field_name, NULL);                                               \
        f_->list = true;                                                                           \
        for (unsigned i_ = 0; i_ < (n) && i_ < MAX_NAMES; i_++) {                                  \
            f_->names[f_->n_names++] = name_fn(i_);                                                \
        }                                                                                          \
    } while (0)

static void describe_ports(struct doc *d, const char *name, const uint16_t *ports, uint32_t n,
                           uint32_t max)
{
    (void)ports;
    (void)n;
    (void)max;
    add(d, name,
        "\"type\": \"array\", \"items\": { \"type\": \"integer\", \"minimum\": 0, \"maximum\": "
        "65535 }, \"maxItems\": " TEXT_OF(TCPSHAKE_ALERT_MAX_PORTS));
}

/* A macro, as for names: each caller has its own name function. */
#define describe_tally(d, field_name, name_fn, counts, n)                                          \
    do {                                                                                           \
        (void)(counts);                                                                            \
        struct field *f_ = add(d, field_name, NULL);                                               \
        f_->tally = true;                                                                          \
        for (unsigned i_ = 0; i_ < (n) && i_ < MAX_NAMES; i_++) {                                  \
            f_->names[f_->n_names++] = name_fn(i_);                                                \
        }                                                                                          \
    } while (0)

static void describe_iso_time(struct doc *d, const char *name, uint64_t ns)
{
    (void)ns;
    add(d, name,
        "\"type\": [\"string\", \"null\"], "
        "\"pattern\": \"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{9}Z$\"");
}

#define DESCRIBE(kind, name, ...) describe_##kind(d, name, __VA_ARGS__);
static void describe_group(struct doc *d, const char *name, const struct doc *members,
                           const char *def, bool nullable)
{
    struct field *f = add(d, name, NULL);
    f->group = name;
    f->members = members;
    f->def = def;
    f->nullable = nullable;
}

static void describe_version(struct doc *d, const char *name, uint16_t v)
{
    (void)v;
    add(d, name,
        "\"type\": [\"string\", \"null\"], \"description\": \"TLS1.3, TLS1.2 ..., or 0x7f17 "
        "for a version without a name; null when not seen\"");
}

static void describe_versions(struct doc *d, const char *name, const uint16_t *v, uint8_t n)
{
    (void)v;
    (void)n;
    add(d, name,
        "\"type\": \"array\", \"items\": { \"type\": \"string\" }, \"maxItems\": " TEXT_OF(
                TCPSHAKE_TLS_LIST_MAX));
}

static void describe_code(struct doc *d, const char *name, bool present, uint16_t v)
{
    (void)present;
    (void)v;
    add(d, name, "\"type\": [\"string\", \"null\"], \"pattern\": \"^0x[0-9a-f]{4}$\"");
}

static void describe_codes(struct doc *d, const char *name, const uint16_t *v, uint8_t n)
{
    (void)v;
    (void)n;
    add(d, name,
        "\"type\": \"array\", \"items\": { \"type\": \"string\", \"pattern\": "
        "\"^0x[0-9a-f]{4}$\" }, \"maxItems\": " TEXT_OF(TCPSHAKE_TLS_LIST_MAX));
}

#define DESCRIBE_GROUP(name, side)          describe_group(d, name, &side_doc, "side", false);
#define DESCRIBE_NGROUP(name, present, tls) describe_group(d, name, &tls_doc, "tls", true);

/* The values are never used: the expressions only need something to name. */
static void describe_record(struct doc *d, struct doc *side, struct doc *tls, bool events)
{
    static const struct tcpshake_record zero;
    const struct tcpshake_record *r = &zero;
    const struct tcpshake_side *sd = &zero.client;
    const struct tcpshake_tls *tl = &zero.tls;
    enum tcpshake_event ev = TCPSHAKE_EVENT_CLOSE;
    (void)ev; /* read by the encoders only */
    if (events) {
        RECORD_EVENT_FIELD(DESCRIBE)
    }
    RECORD_FIELDS(DESCRIBE, DESCRIBE_GROUP, DESCRIBE_NGROUP)
    d = side;
    SIDE_FIELDS(DESCRIBE)
    d = tls;
    TLS_FIELDS(DESCRIBE)
}

/* With json, the JSON-only fields too. */
static void describe_health(struct doc *d, struct doc *trailer, bool json)
{
    static const struct health_row zero_row;
    const struct health_view view = { .row = &zero_row };
    const struct health_view *v = &view;
    static const struct health_trailer zero_trailer;
    const struct health_trailer *tr = &zero_trailer;
    HEALTH_FIELDS(DESCRIBE)
    if (json) {
        HEALTH_JSON_FIELDS(DESCRIBE)
    }
    d = trailer;
    HEALTH_TRAILER_FIELDS(DESCRIBE)
}

/* LIST and OBJECT name the $defs their fields are described in (describe_summary). */
#define DESCRIBE_LIST(name, fields, type, array, n)                                                \
    {                                                                                              \
        struct field *f_ = add(d, name, NULL);                                                     \
        f_->def = #fields;                                                                         \
        f_->max_items = sizeof(array) / sizeof((array)[0]);                                        \
    }
#define DESCRIBE_OBJECT(name, fields) add(d, name, NULL)->def = #fields;

/* The summary's members; its servers' and its capture counters' in docs of their own. */
static void describe_summary(struct doc *d, struct doc *server, struct doc *capture)
{
    static const struct summary_tls_view zero_tls;
    static const struct summary_view zero = { .tls = &zero_tls };
    const struct summary_view *v = &zero;
    static const struct summary_server_view zero_server;
    const struct summary_server_view *e = &zero_server;
    static const struct tcpshake_stats zero_stats;
    const struct tcpshake_stats *st = &zero_stats;
    SUMMARY_FIELDS(DESCRIBE, DESCRIBE_LIST, DESCRIBE_OBJECT)
    d = server;
    SUMMARY_SERVER_FIELDS(DESCRIBE)
    d = capture;
    SUMMARY_CAPTURE_FIELDS(DESCRIBE)
}

/* A --stats-interval object's members; its servers' as the summary's. */
static void describe_interval(struct doc *d, struct doc *server)
{
    static const struct summary_view zero;
    const struct summary_view *v = &zero;
    static const struct summary_server_view zero_server;
    const struct summary_server_view *e = &zero_server;
    SUMMARY_INTERVAL_FIELDS(DESCRIBE, DESCRIBE_LIST, DESCRIBE_OBJECT)
    d = server;
    SUMMARY_SERVER_FIELDS(DESCRIBE)
}

/* Each alert kind's fields; own[k]: kind k has a list of its own, else it has `other`'s. */
struct alert_docs {
    struct doc common;
    struct doc kinds[TCPSHAKE_ALERT_COUNT];
    bool own[TCPSHAKE_ALERT_COUNT];
    struct doc other;
};

#define DESCRIBE_KIND(kind, fields)                                                                \
    d = &docs->kinds[kind];                                                                        \
    docs->own[kind] = true;                                                                        \
    fields(DESCRIBE)

static void describe_alerts(struct alert_docs *docs)
{
    static const struct tcpshake_alert zero;
    const struct tcpshake_alert *a = &zero;
    struct doc *d = &docs->common;
    ALERT_FIELDS(DESCRIBE)
    ALERT_KINDS(DESCRIBE_KIND)
    d = &docs->other;
    ALERT_RECORD_FIELDS(DESCRIBE)
}

static void print_csv_header(const struct doc *d)
{
    const char *sep = "";
    for (unsigned i = 0; i < d->n_fields; i++) {
        const struct field *f = &d->fields[i];
        if (f->group == NULL) {
            printf("%s%s", sep, f->name);
            sep = ",";
            continue;
        }
        for (unsigned j = 0; j < f->members->n_fields; j++) {
            printf("%s%s_%s", sep, f->group, f->members->fields[j].name);
            sep = ",";
        }
    }
    putchar('\n');
}

static void print_names(const struct doc *d)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        printf("%s\n", d->fields[i].name);
    }
}

static void print_value_schema(const struct field *f)
{
    if (f->group != NULL && f->nullable) {
        printf("{ \"oneOf\": [ { \"$ref\": \"#/$defs/%s\" }, { \"type\": \"null\" } ] }", f->def);
    } else if (f->group != NULL) {
        printf("{ \"$ref\": \"#/$defs/%s\" }", f->def);
    } else if (f->def != NULL && f->max_items > 0) {
        printf("{ \"type\": \"array\", \"items\": { \"$ref\": \"#/$defs/%s\" }, \"maxItems\": %u }",
               f->def, f->max_items);
    } else if (f->def != NULL) {
        printf("{ \"$ref\": \"#/$defs/%s\" }", f->def);
    } else if (f->tally) {
        printf("{ \"type\": \"object\", \"properties\": {");
        for (unsigned i = 0; i < f->n_names; i++) {
            printf("%s\"%s\": { \"type\": \"integer\", \"minimum\": 0 }", i > 0 ? ", " : " ",
                   f->names[i]);
        }
        printf(" }, \"required\": [");
        for (unsigned i = 0; i < f->n_names; i++) {
            printf("%s\"%s\"", i > 0 ? ", " : "", f->names[i]);
        }
        printf("], \"additionalProperties\": false }");
    } else if (f->schema != NULL) {
        printf("{ %s }", f->schema);
    } else {
        printf("{ \"enum\": [");
        for (unsigned i = 0; i < f->n_names; i++) {
            printf("%s\"%s\"", i > 0 ? ", " : "", f->names[i]);
        }
        printf("] }");
    }
}

static void print_property(const struct field *f, const char *indent, bool last)
{
    printf("%s\"%s\": ", indent, f->name);
    if (f->list) {
        printf("{ \"type\": \"array\", \"uniqueItems\": true, \"items\": ");
        print_value_schema(f);
        printf(" }");
    } else {
        print_value_schema(f);
    }
    printf("%s\n", last ? "" : ",");
}

/*
 * The members of an object schema at indent (2 or more spaces): type,
 * properties of docs[0..n-1] in turn, required (but the first `from` fields
 * of docs[0]), additionalProperties false; then a comma when more follows.
 */
static void print_object(const struct doc *const *docs, unsigned n, const char *indent,
                         unsigned from, bool more)
{
    char inner[32];
    snprintf(inner, sizeof(inner), "%s  ", indent);
    printf("%s\"type\": \"object\",\n"
           "%s\"properties\": {\n",
           indent, indent);
    for (unsigned k = 0; k < n; k++) {
        for (unsigned i = 0; i < docs[k]->n_fields; i++) {
            bool last = k + 1 == n && i + 1 == docs[k]->n_fields;
            print_property(&docs[k]->fields[i], inner, last);
        }
    }
    printf("%s},\n", indent);
    printf("%s\"required\": [", indent);
    const char *sep = "";
    for (unsigned k = 0; k < n; k++) {
        for (unsigned i = k == 0 ? from : 0; i < docs[k]->n_fields; i++) {
            if (!docs[k]->fields[i].optional) {
                printf("%s\"%s\"", sep, docs[k]->fields[i].name);
                sep = ", ";
            }
        }
    }
    printf("],\n"
           "%s\"additionalProperties\": false%s\n",
           indent, more ? "," : "");
}

static void print_header(const char *title, const char *description)
{
    printf("{\n"
           "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
           "  \"title\": \"%s\",\n"
           "  \"description\": \"%s\",\n",
           title, description);
}

/* The schema's end: "$defs" with two objects, a and b, then the closing braces. */
static void print_two_defs(const char *a_name, const struct doc *a, const char *b_name,
                           const struct doc *b)
{
    printf("  \"$defs\": {\n"
           "    \"%s\": {\n",
           a_name);
    print_object(&a, 1, "      ", 0, false);
    printf("    },\n"
           "    \"%s\": {\n",
           b_name);
    print_object(&b, 1, "      ", 0, false);
    printf("    }\n"
           "  }\n"
           "}\n");
}

static void print_schema(const struct doc *d, const struct doc *side, const struct doc *tls)
{
    print_header("tcpshake connection record",
                 "One line of tcpshake -o json. Generated by tools/fields.c from "
                 "src/output/record_fields.h: do not edit. The first member, event, is there "
                 "with --events only.");
    /* fields[0] is the event, present with --events only. */
    print_object(&d, 1, "  ", 1, true);
    print_two_defs("side", side, "tls", tls);
}

static void print_health_schema(const struct doc *row, const struct doc *trailer)
{
    print_header("tcpshake health row",
                 "One line of tcpshake --by -o json: a row per group and time bucket, then one "
                 "trailer, told apart by its member health_rows. Generated by tools/fields.c "
                 "from src/output/health_fields.h: do not edit.");
    printf("  \"oneOf\": [{ \"$ref\": \"#/$defs/row\" }, { \"$ref\": \"#/$defs/trailer\" }],\n");
    print_two_defs("row", row, "trailer", trailer);
}

/*
 * The object of one alert kind with a list of its own (kind), or of the kinds
 * without (kind == TCPSHAKE_ALERT_COUNT); its "alert" member names which.
 */
static void print_alert_def(const struct alert_docs *docs, unsigned kind, bool more)
{
    bool others = kind == TCPSHAKE_ALERT_COUNT;
    const char *def = others ? "record" : tcpshake_alert_kind_name(kind);
    const struct doc *fields = others ? &docs->other : &docs->kinds[kind];
    struct doc common = docs->common;
    struct field *alert = &common.fields[0];
    alert->n_names = 0;
    for (unsigned k = 0; k < TCPSHAKE_ALERT_COUNT; k++) {
        if (others ? !docs->own[k] : k == kind) {
            alert->names[alert->n_names++] = tcpshake_alert_kind_name(k);
        }
    }
    const struct doc *both[2] = { &common, fields };
    printf("    \"%s\": {\n", def);
    print_object(both, 2, "      ", 0, false);
    printf("    }%s\n", more ? "," : "");
}

static void print_alert_schema(const struct alert_docs *docs)
{
    print_header("tcpshake alert",
                 "One line of tcpshake --detect on standard error: the members every alert has, "
                 "then those of its kind, named by the member alert. Generated by tools/fields.c "
                 "from src/output/alert_fields.h: do not edit.");
    printf("  \"oneOf\": [");
    for (unsigned k = 0; k < TCPSHAKE_ALERT_COUNT; k++) {
        if (docs->own[k]) {
            printf("{ \"$ref\": \"#/$defs/%s\" }, ", tcpshake_alert_kind_name(k));
        }
    }
    printf("{ \"$ref\": \"#/$defs/record\" }],\n"
           "  \"$defs\": {\n");
    for (unsigned k = 0; k < TCPSHAKE_ALERT_COUNT; k++) {
        if (docs->own[k]) {
            print_alert_def(docs, k, true);
        }
    }
    print_alert_def(docs, TCPSHAKE_ALERT_COUNT, false);
    printf("  }\n"
           "}\n");
}

static void print_summary_schema(const struct doc *summary, const struct doc *server,
                                 const struct doc *capture)
{
    print_header("tcpshake summary",
                 "The end-of-run summary as one JSON object (tcpshake --summary-json), told "
                 "apart from every other JSON document by its member summary. Generated by "
                 "tools/fields.c from src/output/summary_fields.h: do not edit.");
    print_object(&summary, 1, "  ", 0, true);
    print_two_defs("SUMMARY_SERVER_FIELDS", server, "SUMMARY_CAPTURE_FIELDS", capture);
}

static void print_interval_schema(const struct doc *interval, const struct doc *server)
{
    print_header("tcpshake interval",
                 "One --stats-interval block of tcpshake -o json, on standard error: the "
                 "handshakes decided in [start_ns, end_ns), told apart from every other JSON "
                 "document by its member interval. Generated by tools/fields.c from "
                 "src/output/summary_fields.h: do not edit.");
    print_object(&interval, 1, "  ", 0, true);
    printf("  \"$defs\": {\n"
           "    \"SUMMARY_SERVER_FIELDS\": {\n");
    print_object(&server, 1, "      ", 0, false);
    printf("    }\n"
           "  }\n"
           "}\n");
}

static int usage(void)
{
    fprintf(stderr, "usage: fields csv-header [--events] | schema | health-csv-header |\n"
                    "              health-schema | alert-schema | summary-schema |\n"
                    "              interval-schema | names | zeek-header\n");
    return 2;
}

int main(int argc, char **argv)
{
    static struct doc record, health, trailer;
    struct doc *side = &side_doc, *tls = &tls_doc;
    static struct alert_docs alerts;
    static struct doc summary, server, capture, interval, interval_server;
    if (argc < 2) {
        return usage();
    }
    const char *what = argv[1];
    bool events = argc > 2 && strcmp(argv[2], "--events") == 0;
    if (strcmp(what, "csv-header") == 0) {
        describe_record(&record, side, tls, events);
        print_csv_header(&record);
    } else if (strcmp(what, "schema") == 0) {
        describe_record(&record, side, tls, true);
        print_schema(&record, side, tls);
    } else if (strcmp(what, "health-csv-header") == 0) {
        describe_health(&health, &trailer, false);
        print_csv_header(&health);
    } else if (strcmp(what, "health-schema") == 0) {
        describe_health(&health, &trailer, true);
        print_health_schema(&health, &trailer);
    } else if (strcmp(what, "alert-schema") == 0) {
        describe_alerts(&alerts);
        print_alert_schema(&alerts);
    } else if (strcmp(what, "summary-schema") == 0) {
        describe_summary(&summary, &server, &capture);
        print_summary_schema(&summary, &server, &capture);
    } else if (strcmp(what, "interval-schema") == 0) {
        describe_interval(&interval, &interval_server);
        print_interval_schema(&interval, &interval_server);
    } else if (strcmp(what, "names") == 0) {
        describe_record(&record, side, tls, true);
        describe_health(&health, &trailer, true);
        print_names(&record);
        print_names(side);
        print_names(tls);
        print_names(&health);
        print_names(&trailer);
        describe_alerts(&alerts);
        print_names(&alerts.common);
        for (unsigned k = 0; k < TCPSHAKE_ALERT_COUNT; k++) {
            print_names(&alerts.kinds[k]);
        }
        print_names(&alerts.other);
        describe_summary(&summary, &server, &capture);
        print_names(&summary);
        print_names(&server);
        print_names(&capture);
        describe_interval(&interval, &interval_server);
        print_names(&interval);
    } else if (strcmp(what, "zeek-header") == 0) {
        fputs(ZEEK_FIELDS_LINE ZEEK_TYPES_LINE, stdout);
    } else {
        return usage();
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
