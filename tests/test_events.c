/* test_events.c: the event bus (events.h): order, copies, several readers, a reader that
 * falls behind, the wake fd, JSON, posting from many threads. */
#include <parley/events.h>

#include <poll.h>
#include <pthread.h>

#include "test.h"

static parley_event seg(int64_t t0, const char *text)
{
    parley_event e = {.kind = PARLEY_EVENT_SEGMENT, .t0_ms = t0, .t1_ms = t0 + 500, .speaker = "Me", .text = text};
    return e;
}

TEST(events_arrive_in_order_as_copies)
{
    parley_bus *bus;
    ASSERT_OK(parley_bus_new(8, &bus));
    parley_bus_reader *rd;
    ASSERT_OK(parley_bus_reader_new(bus, 0, &rd));
    char text[16];
    strcpy(text, "hello");
    parley_event e = seg(100, text);
    ASSERT_EQ_INT(parley_bus_post(bus, &e), 1);
    strcpy(text, "XXXXX"); /* the bus kept its own copy */
    e = seg(700, "world");
    ASSERT_EQ_INT(parley_bus_post(bus, &e), 2);
    parley_event got;
    ASSERT_EQ_INT(parley_bus_read(rd, &got), 1);
    ASSERT_EQ_INT(got.seq, 1);
    ASSERT_EQ_INT(got.t0_ms, 100);
    ASSERT_STR(got.text, "hello");
    ASSERT_STR(got.speaker, "Me");
    ASSERT_EQ_INT(parley_bus_read(rd, &got), 1);
    ASSERT_STR(got.text, "world");
    ASSERT_EQ_INT(parley_bus_read(rd, &got), 0);
    ASSERT_EQ_INT(parley_bus_reader_missed(rd), 0);
    parley_bus_reader_free(rd);
    parley_bus_free(bus);
}

TEST(wake_fd_is_readable_only_with_unread_events)
{
    parley_bus *bus;
    ASSERT_OK(parley_bus_new(0, &bus));
    parley_bus_reader *rd;
    ASSERT_OK(parley_bus_reader_new(bus, 0, &rd));
    struct pollfd p = {.fd = parley_bus_reader_fd(rd), .events = POLLIN};
    ASSERT_EQ_INT(poll(&p, 1, 0), 0);
    parley_event e = seg(0, "a");
    parley_bus_post(bus, &e);
    parley_bus_post(bus, &e);
    ASSERT_EQ_INT(poll(&p, 1, 0), 1);
    parley_event got;
    ASSERT_EQ_INT(parley_bus_read(rd, &got), 1);
    ASSERT_EQ_INT(poll(&p, 1, 0), 1); /* one left */
    ASSERT_EQ_INT(parley_bus_read(rd, &got), 1);
    ASSERT_EQ_INT(poll(&p, 1, 0), 0);
    ASSERT_EQ_INT(parley_bus_wait(rd, 10), 0);
    parley_bus_post(bus, &e);
    ASSERT_EQ_INT(parley_bus_wait(rd, 1000), 1);
    parley_bus_reader_free(rd);
    parley_bus_free(bus);
}

TEST(a_slow_reader_is_told_what_it_missed_and_posting_never_blocks)
{
    parley_bus *bus;
    ASSERT_OK(parley_bus_new(4, &bus));
    parley_bus_reader *slow, *late;
    ASSERT_OK(parley_bus_reader_new(bus, 0, &slow));
    char t[16];
    for (int i = 1; i <= 10; i++) {
        snprintf(t, sizeof t, "s%d", i);
        parley_event e = seg(i, t);
        ASSERT_EQ_INT(parley_bus_post(bus, &e), i);
    }
    parley_event got;
    ASSERT_EQ_INT(parley_bus_read(slow, &got), 1);
    ASSERT_EQ_INT(got.seq, 7); /* 7..10 kept */
    ASSERT_STR(got.text, "s7");
    ASSERT_EQ_INT(parley_bus_reader_missed(slow), 6);
    /* A reader resuming after seq 8 (SSE Last-Event-ID: 8) gets 9 and 10. */
    ASSERT_OK(parley_bus_reader_new(bus, 9, &late));
    ASSERT_EQ_INT(parley_bus_read(late, &got), 1);
    ASSERT_EQ_INT(got.seq, 9);
    ASSERT_EQ_INT(parley_bus_read(late, &got), 1);
    ASSERT_EQ_INT(parley_bus_read(late, &got), 0);
    ASSERT_EQ_INT(parley_bus_last_seq(bus), 10);
    parley_bus_reader_free(slow);
    parley_bus_reader_free(late);
    parley_bus_free(bus);
}

TEST(json_rendering_names_the_event)
{
    parley_event e = seg(1500, "say \"hi\"");
    e.seq = 3;
    e.session_id = 42;
    e.value = 0.75;
    char *js;
    ASSERT_OK(parley_event_to_json(&e, &js));
    ASSERT_MSG(strstr(js, "\"event\":\"segment.final\""), "%s", js);
    ASSERT_MSG(strstr(js, "\"session_id\":42"), "%s", js);
    ASSERT_MSG(strstr(js, "\"t0_ms\":1500"), "%s", js);
    ASSERT_MSG(strstr(js, "\"text\":\"say \\\"hi\\\"\""), "%s", js);
    ASSERT_MSG(strstr(js, "\"confidence\":0.75"), "%s", js);
    free(js);
    ASSERT_STR(parley_event_kind_name(PARLEY_EVENT_BACKLOG), "backlog");
    ASSERT_STR(parley_event_kind_name((parley_event_kind)999), "unknown");
}

struct poster {
    parley_bus *bus;
    int n;
};

static void *post_many(void *arg)
{
    struct poster *p = arg;
    for (int i = 0; i < p->n; i++) {
        parley_event e = {.kind = PARLEY_EVENT_LEVEL, .source = "mic", .value = -20};
        parley_bus_post(p->bus, &e);
    }
    return NULL;
}

TEST(many_threads_post_at_once)
{
    parley_bus *bus;
    ASSERT_OK(parley_bus_new(100000, &bus));
    parley_bus_reader *rd;
    ASSERT_OK(parley_bus_reader_new(bus, 0, &rd));
    pthread_t th[4];
    struct poster p = {bus, 5000};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, post_many, &p);
    long n = 0;
    uint64_t prev = 0;
    parley_event got;
    while (n < 20000) {
        if (parley_bus_read(rd, &got)) {
            ASSERT_EQ_INT(got.seq, prev + 1);
            ASSERT_STR(got.source, "mic");
            prev = got.seq;
            n++;
        } else {
            parley_bus_wait(rd, 1000);
        }
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ASSERT_EQ_INT(parley_bus_read(rd, &got), 0);
    ASSERT_EQ_INT(parley_bus_reader_missed(rd), 0);
    parley_bus_reader_free(rd);
    parley_bus_free(bus);
}

int main(void)
{
    RUN(events_arrive_in_order_as_copies);
    RUN(wake_fd_is_readable_only_with_unread_events);
    RUN(a_slow_reader_is_told_what_it_missed_and_posting_never_blocks);
    RUN(json_rendering_names_the_event);
    RUN(many_threads_post_at_once);
    return test_summary();
}
