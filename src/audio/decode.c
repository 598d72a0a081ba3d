/* decode.c: any FFmpeg-readable recording -> 16 kHz mono float.
 *
 * FFmpeg does all the format work: libavformat demuxes, libavcodec decodes, and
 * libswresample downmixes and resamples in one pass. What this file adds is the
 * judgement about bad input: an empty file, a file that is not media, a container
 * without audio, and a file that stops before its own header says it should. */
#include <parley/audio.h>

#include "core/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

struct parley_audio_params parley_audio_default_params(void)
{
    struct parley_audio_params p;
    memset(&p, 0, sizeof p);
    p.max_seconds = 12 * 3600.0;
    return p;
}

void parley_audio_free(parley_audio *a)
{
    if (!a)
        return;
    free(a->samples);
    memset(a, 0, sizeof *a);
}

/* Growing sample store; capacity bounded by max_samples. */
typedef struct sample_vec {
    float *v;
    size_t n, cap, max;
} sample_vec;

static parley_status vec_reserve(sample_vec *s, size_t extra, double max_seconds)
{
    if (s->n + extra > s->max)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "recording is longer than the limit of %.0f s", max_seconds);
    if (s->n + extra <= s->cap)
        return PARLEY_OK;
    size_t cap = s->cap ? s->cap : (size_t)PARLEY_AUDIO_RATE * 60;
    while (cap < s->n + extra)
        cap *= 2;
    if (cap > s->max)
        cap = s->max;
    float *v = realloc(s->v, cap * sizeof *v);
    if (!v)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory holding %.0f s of audio", (double)cap / PARLEY_AUDIO_RATE);
    s->v = v;
    s->cap = cap;
    return PARLEY_OK;
}

static const char *averr(int e, char *buf, size_t n)
{
    av_strerror(e, buf, n);
    return buf;
}

/* FFmpeg's WAV demuxer sizes a stream by the bytes actually present, so a cut-off WAV
 * looks whole. Its own header still says how long it should be: read the RIFF chunks up
 * to "data" and return the seconds the data chunk claims, or 0 when unknown (streaming
 * writers put 0 or 0xFFFFFFFF there until they finish). */
static double wav_header_seconds(FILE *f)
{
    if (!f)
        return 0;
    unsigned char h[12], c[8], fmt[16];
    double secs = 0;
    uint32_t byte_rate = 0;
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
        goto out;
    for (int guard = 0; guard < 64 && fread(c, 1, 8, f) == 8; guard++) {
        uint32_t size = (uint32_t)c[4] | (uint32_t)c[5] << 8 | (uint32_t)c[6] << 16 | (uint32_t)c[7] << 24;
        if (!memcmp(c, "fmt ", 4) && size >= 16) {
            if (fread(fmt, 1, 16, f) != 16)
                goto out;
            byte_rate = (uint32_t)fmt[8] | (uint32_t)fmt[9] << 8 | (uint32_t)fmt[10] << 16 | (uint32_t)fmt[11] << 24;
            size -= 16;
        } else if (!memcmp(c, "data", 4)) {
            if (byte_rate && size != 0 && size != 0xFFFFFFFFu)
                secs = (double)size / byte_rate;
            goto out;
        }
        if (fseeko(f, (off_t)size + (off_t)(size & 1), SEEK_CUR) != 0)
            goto out;
    }
out:
    return secs;
}

/* A recording in memory, read through a custom AVIOContext. */
typedef struct mem_src {
    const unsigned char *data;
    size_t len, pos;
} mem_src;

static int mem_read(void *opaque, uint8_t *buf, int n)
{
    mem_src *m = opaque;
    size_t left = m->len - m->pos;
    if (left == 0)
        return AVERROR_EOF;
    size_t k = (size_t)n < left ? (size_t)n : left;
    memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    return (int)k;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    mem_src *m = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)m->len;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)m->pos; break;
    case SEEK_END: base = (int64_t)m->len; break;
    default: return AVERROR(EINVAL);
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0 || (uint64_t)(base + off) > m->len)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

/* A recording streamed in on a pipe (standard input): read in order, never seeked, as
 * FFmpeg's pipe: protocol reads it; the first bytes, read ahead for the checks on what
 * the input is, are handed back first. A signal that interrupts the read (Ctrl-C) stops
 * it when the cancel flag is set. */
typedef struct stream_src {
    int fd;
    unsigned char head[4096]; /* enough for a WAV header's chunks */
    size_t n_head, head_pos;
    const parley_cancel *cancel;
    int error;                 /* errno of a failed read, 0 when none */
} stream_src;

static ssize_t stream_fill(stream_src *src, void *buf, size_t n)
{
    for (;;) {
        if (parley_cancel_is_set(src->cancel)) { /* also when the signal came before the read */
            src->error = EINTR;
            return -1;
        }
        ssize_t k = read(src->fd, buf, n);
        if (k >= 0)
            return k;
        if (errno == EINTR && !parley_cancel_is_set(src->cancel))
            continue;
        src->error = errno;
        return -1;
    }
}

static int stream_read(void *opaque, uint8_t *buf, int n)
{
    stream_src *src = opaque;
    if (src->head_pos < src->n_head) {
        size_t k = src->n_head - src->head_pos;
        if (k > (size_t)n)
            k = (size_t)n;
        memcpy(buf, src->head + src->head_pos, k);
        src->head_pos += k;
        return (int)k;
    }
    ssize_t k = stream_fill(src, buf, (size_t)n);
    if (k < 0)
        return parley_cancel_is_set(src->cancel) ? AVERROR_EXIT : AVERROR(src->error);
    return k == 0 ? AVERROR_EOF : (int)k;
}

typedef struct decoder {
    AVIOContext *avio; /* custom I/O (memory or stream input); NULL for files */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    /* What the resampler was set up for: a stream may change its channels, rate or format
     * mid-way (an MP3 with mono and stereo frames), and then it is set up again. */
    AVChannelLayout in_layout;
    int in_rate, in_fmt;
    int channel; /* parley_audio_params.channel */
} decoder;

static void decoder_close(decoder *d)
{
    av_channel_layout_uninit(&d->in_layout);
    av_frame_free(&d->frame);
    av_packet_free(&d->pkt);
    swr_free(&d->swr);
    avcodec_free_context(&d->dec);
    avformat_close_input(&d->fmt);
    if (d->avio) {
        av_freep(&d->avio->buffer);
        avio_context_free(&d->avio);
    }
}

/* (Re)creates the resampler for input audio of this layout, format and rate: to 16 kHz
 * mono float, every channel mixed or d->channel alone. */
static int setup_resampler(decoder *d, const AVChannelLayout *layout, int fmt, int rate)
{
    swr_free(&d->swr);
    av_channel_layout_uninit(&d->in_layout);
    int r = av_channel_layout_copy(&d->in_layout, layout);
    if (r < 0)
        return r;
    if (d->in_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&d->in_layout, d->in_layout.nb_channels);
    d->in_rate = rate;
    d->in_fmt = fmt;
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    double pick[64] = {0}; /* one output channel: 1 for the wanted input channel, 0 for the rest */
    if (d->channel > 0 && d->channel <= 64)
        pick[d->channel - 1] = 1.0;
    if ((r = swr_alloc_set_opts2(&d->swr, &mono, AV_SAMPLE_FMT_FLT, PARLEY_AUDIO_RATE, &d->in_layout,
                                 (enum AVSampleFormat)fmt, rate, 0, NULL)) < 0 ||
        (d->channel > 0 && (r = swr_set_matrix(d->swr, pick, 64)) < 0) || (r = swr_init(d->swr)) < 0)
        return r;
    return 0;
}

/* Converts one decoded frame (or flushes the resampler when frame is NULL). */
static parley_status convert(decoder *d, const AVFrame *frame, sample_vec *out, double max_seconds)
{
    int in = frame ? frame->nb_samples : 0;
    int room = swr_get_out_samples(d->swr, in);
    if (room < 0)
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "resampler failed");
    parley_status st = vec_reserve(out, (size_t)room, max_seconds);
    if (st)
        return st;
    uint8_t *dst = (uint8_t *)(out->v + out->n);
    int got = swr_convert(d->swr, &dst, room, frame ? (const uint8_t **)frame->extended_data : NULL, in);
    if (got < 0) {
        char eb[128];
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "resampling failed: %s", averr(got, eb, sizeof eb));
    }
    out->n += (size_t)got;
    return PARLEY_OK;
}

static parley_status drain(decoder *d, sample_vec *out, double max_seconds, int *bad_frames)
{
    for (;;) {
        int r = avcodec_receive_frame(d->dec, d->frame);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return PARLEY_OK;
        if (r < 0) {
            (*bad_frames)++;
            return PARLEY_OK;
        }
        const AVFrame *f = d->frame;
        if (f->sample_rate != d->in_rate || f->format != d->in_fmt ||
            av_channel_layout_compare(&f->ch_layout, &d->in_layout) != 0) {
            /* The stream changed its audio mid-way: what the resampler holds first, then a
             * new one. A frame Parley cannot take is a bad frame, like a corrupt one. */
            if (f->ch_layout.nb_channels <= 0 || f->sample_rate <= 0 || f->sample_rate > 768000 ||
                d->channel > f->ch_layout.nb_channels) {
                (*bad_frames)++;
                av_frame_unref(d->frame);
                continue;
            }
            parley_status fst = convert(d, NULL, out, max_seconds);
            if (fst) {
                av_frame_unref(d->frame);
                return fst;
            }
            int rs = setup_resampler(d, &f->ch_layout, f->format, f->sample_rate);
            if (rs < 0) {
                av_frame_unref(d->frame);
                char eb[AV_ERROR_MAX_STRING_SIZE];
                return parley_fail(PARLEY_ERR_BAD_AUDIO, "the audio changes mid-way and cannot be resampled (%s)",
                                   averr(rs, eb, sizeof eb));
            }
        }
        parley_status st = convert(d, d->frame, out, max_seconds);
        av_frame_unref(d->frame);
        if (st)
            return st;
    }
}

/* Files that are certainly not recordings, told apart by their first bytes, so that a
 * model renamed .mp3 is not called "no audio track". NULL when unknown. */
static const char *known_non_media(const unsigned char *h, size_t n)
{
    if (n >= 4 && !memcmp(h, "GGUF", 4))
        return "a GGUF model file";
    if (n >= 4 && !memcmp(h, "lmgg", 4))
        return "a whisper.cpp (ggml) model file";
    if (n >= 16 && !memcmp(h, "SQLite format 3", 16))
        return "an SQLite database";
    if (n >= 4 && !memcmp(h, "\x7f" "ELF", 4))
        return "a program (ELF)";
    if (n >= 5 && !memcmp(h, "%PDF-", 5))
        return "a PDF document";
    return NULL;
}

/* The body shared by the file, memory and stream entry points. label names the input in
 * messages; exactly one of path, mem and stream is set; size is the input's byte count
 * (0 when unknown: a stream). */
static parley_status decode(const char *label, const char *path, mem_src *mem, stream_src *stream, int64_t size,
                            const struct parley_audio_params *params, parley_audio *out)
{
    struct parley_audio_params p = params ? *params : parley_audio_default_params();
    /* Bounds: at most 100 days of audio (and never more samples than size_t holds), so
     * that the conversion below is always in range (max_seconds may be huge or NaN). */
    if (!(p.max_seconds > 0))
        p.max_seconds = 12 * 3600.0;
    if (p.max_seconds > 100.0 * 86400.0)
        p.max_seconds = 100.0 * 86400.0;
    memset(out, 0, sizeof *out);
    parley_route_ffmpeg_log(); /* once per process; failures are reported through parley_status */

    unsigned char head[16];
    size_t n_head = 0;
    FILE *hf = NULL;
    if (mem) {
        n_head = mem->len < sizeof head ? mem->len : sizeof head;
        memcpy(head, mem->data, n_head);
        hf = mem->len ? fmemopen((void *)mem->data, mem->len, "rb") : NULL;
    } else if (stream) {
        stream->cancel = p.cancel;
        while (stream->n_head < sizeof stream->head) {
            ssize_t k = stream_fill(stream, stream->head + stream->n_head, sizeof stream->head - stream->n_head);
            if (k < 0) {
                if (parley_cancel_is_set(p.cancel))
                    return parley_fail(PARLEY_ERR_CANCELLED, "decoding cancelled");
                return parley_fail(parley_status_from_errno(stream->error), "reading %s: %s", label,
                                   strerror(stream->error));
            }
            if (k == 0)
                break;
            stream->n_head += (size_t)k;
        }
        if (stream->n_head == 0)
            return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is empty (0 bytes)", label);
        n_head = stream->n_head < sizeof head ? stream->n_head : sizeof head;
        memcpy(head, stream->head, n_head);
        hf = fmemopen(stream->head, stream->n_head, "rb"); /* for the WAV header's length */
    } else {
        hf = fopen(path, "rb");
        if (hf)
            n_head = fread(head, 1, sizeof head, hf);
    }
    bool is_mp4 = n_head >= 8 && !memcmp(head + 4, "ftyp", 4);
    const char *what = known_non_media(head, n_head);
    if (what) {
        if (hf)
            fclose(hf);
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is %s, not an audio or video file", label, what);
    }

    decoder d = {.stream = -1};
    sample_vec s = {.max = (size_t)(p.max_seconds * PARLEY_AUDIO_RATE)};
    parley_status st = PARLEY_OK;
    char eb[128];
    int r;

    if (mem || stream) {
        enum { AVIO_BUF = 64 * 1024 };
        unsigned char *iobuf = av_malloc(AVIO_BUF);
        if (!iobuf ||
            !(d.avio = mem ? avio_alloc_context(iobuf, AVIO_BUF, 0, mem, mem_read, NULL, mem_seek)
                           : avio_alloc_context(iobuf, AVIO_BUF, 0, stream, stream_read, NULL, NULL)) ||
            !(d.fmt = avformat_alloc_context())) {
            if (!d.avio)
                av_free(iobuf);
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
            goto out;
        }
        d.fmt->pb = d.avio;
        d.fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    if ((r = avformat_open_input(&d.fmt, mem || stream ? NULL : path, NULL, NULL)) < 0) {
        if (parley_cancel_is_set(p.cancel))
            st = parley_fail(PARLEY_ERR_CANCELLED, "decoding cancelled");
        else if (stream && stream->error)
            st = parley_fail(parley_status_from_errno(stream->error), "reading %s: %s", label,
                             strerror(stream->error));
        else if (is_mp4 && stream)
            st = parley_fail(PARLEY_ERR_BAD_AUDIO,
                             "%s is an MP4/M4A file whose index (the 'moov' atom) is not at its start, so it cannot "
                             "be read from a pipe: give its path, or redirect it (parley transcribe - < FILE) (%s)",
                             label, averr(r, eb, sizeof eb));
        else if (is_mp4)
            st = parley_fail(PARLEY_ERR_BAD_AUDIO,
                             "%s is a truncated MP4/M4A file: its index (the 'moov' atom, written when a recording "
                             "is finished) is missing, so the audio cannot be located (%s)",
                             label, averr(r, eb, sizeof eb));
        else
            st = parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: not an audio or video file that can be read (%s)", label,
                             averr(r, eb, sizeof eb));
        goto out;
    }
    if ((r = avformat_find_stream_info(d.fmt, NULL)) < 0) {
        st = parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: cannot read stream information (%s)", label, averr(r, eb, sizeof eb));
        goto out;
    }
    const AVCodec *codec = NULL;
    d.stream = av_find_best_stream(d.fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (d.stream == AVERROR_STREAM_NOT_FOUND) {
        unsigned n_video = 0;
        for (unsigned i = 0; i < d.fmt->nb_streams; i++)
            n_video += d.fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
        if (n_video == 0)
            st = parley_fail(PARLEY_ERR_BAD_AUDIO,
                             "%s: not an audio or video file (FFmpeg guessed '%s' but found no audio or video "
                             "stream in it)",
                             label, d.fmt->iformat->name);
        else
            st = parley_fail(PARLEY_ERR_NO_AUDIO, "%s has no audio track (%u stream%s, none of them audio)", label,
                             d.fmt->nb_streams, d.fmt->nb_streams == 1 ? "" : "s");
        goto out;
    }
    if (d.stream < 0 || !codec) {
        st = parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: no decoder for its audio track", label);
        goto out;
    }
    AVStream *as = d.fmt->streams[d.stream];
    d.dec = avcodec_alloc_context3(codec);
    d.pkt = av_packet_alloc();
    d.frame = av_frame_alloc();
    if (!d.dec || !d.pkt || !d.frame) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((r = avcodec_parameters_to_context(d.dec, as->codecpar)) < 0 || (r = avcodec_open2(d.dec, codec, NULL)) < 0) {
        st = parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: cannot open the %s decoder (%s)", label, codec->name,
                         averr(r, eb, sizeof eb));
        goto out;
    }
    if (d.dec->ch_layout.nb_channels <= 0 || d.dec->sample_rate <= 0) {
        st = parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: audio track with no channels or sample rate", label);
        goto out;
    }
    /* A damaged header can claim any rate; resampling from hundreds of MHz makes
     * libswresample build an enormous filter (seconds per kilobyte, found by fuzz_audio).
     * No recording is sampled above 768 kHz, the highest rate audio formats define. */
    if (d.dec->sample_rate > 768000) {
        st = parley_fail(PARLEY_ERR_BAD_AUDIO,
                         "%s is damaged: its audio track claims %d samples per second (no recording has more "
                         "than 768000)",
                         label, d.dec->sample_rate);
        goto out;
    }
    if (d.dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&d.dec->ch_layout, d.dec->ch_layout.nb_channels);
    if (p.channel < 0 || p.channel > d.dec->ch_layout.nb_channels) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "%s: has %d channel%s, so no channel %d", label,
                         d.dec->ch_layout.nb_channels, d.dec->ch_layout.nb_channels == 1 ? "" : "s", p.channel);
        goto out;
    }
    d.channel = p.channel;
    if ((r = setup_resampler(&d, &d.dec->ch_layout, d.dec->sample_fmt, d.dec->sample_rate)) < 0) {
        st = parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: cannot set up resampling (%s)", label, averr(r, eb, sizeof eb));
        goto out;
    }

    /* How long the file says it is, to notice a file that stops early. */
    double expected_s = 0;
    if (as->duration > 0 && as->time_base.den)
        expected_s = (double)as->duration * av_q2d(as->time_base);
    else if (d.fmt->duration > 0)
        expected_s = (double)d.fmt->duration / AV_TIME_BASE;
    if (!strcmp(d.fmt->iformat->name, "wav") && hf) {
        rewind(hf);
        double hs = wav_header_seconds(hf);
        if (hs > expected_s)
            expected_s = hs;
    }
    int64_t file_size = size;

    int bad_packets = 0, bad_frames = 0, read_error = 0;
    double last_fraction = -1;
    for (;;) {
        if (parley_cancel_is_set(p.cancel)) {
            st = parley_fail(PARLEY_ERR_CANCELLED, "decoding cancelled");
            goto out;
        }
        r = av_read_frame(d.fmt, d.pkt);
        if (r == AVERROR_EOF)
            break;
        if (r < 0) {
            read_error = r;
            break;
        }
        if (d.pkt->stream_index == d.stream) {
            /* EAGAIN: the decoder wants its output read first; drain, then send the same
             * packet again (FFmpeg's send/receive contract), instead of dropping it. */
            for (int tries = 0;; tries++) {
                int sr = avcodec_send_packet(d.dec, d.pkt);
                if (sr == AVERROR(EAGAIN) && tries < 8) {
                    if ((st = drain(&d, &s, p.max_seconds, &bad_frames)))
                        goto out;
                    continue;
                }
                if (sr < 0)
                    bad_packets++;
                break;
            }
            if ((st = drain(&d, &s, p.max_seconds, &bad_frames)))
                goto out;
        }
        if (p.progress && file_size > 0 && d.fmt->pb) {
            double f = (double)avio_tell(d.fmt->pb) / (double)file_size;
            if (f - last_fraction >= 0.01) {
                last_fraction = f;
                if (!p.progress(f > 1 ? 1 : f, p.progress_user_data)) {
                    st = parley_fail(PARLEY_ERR_CANCELLED, "decoding cancelled");
                    goto out;
                }
            }
        }
        av_packet_unref(d.pkt);
    }
    if (parley_cancel_is_set(p.cancel)) {
        st = parley_fail(PARLEY_ERR_CANCELLED, "decoding cancelled");
        goto out;
    }
    if (stream && stream->error) {
        st = parley_fail(parley_status_from_errno(stream->error), "reading %s: %s", label, strerror(stream->error));
        goto out;
    }
    avcodec_send_packet(d.dec, NULL);
    if ((st = drain(&d, &s, p.max_seconds, &bad_frames)))
        goto out;
    if ((st = convert(&d, NULL, &s, p.max_seconds)))
        goto out;

    double got_s = (double)s.n / PARLEY_AUDIO_RATE;
    if (s.n == 0) {
        if (stream && is_mp4)
            st = parley_fail(PARLEY_ERR_BAD_AUDIO,
                             "%s is an MP4/M4A file whose index (the 'moov' atom) is not at its start, so it cannot "
                             "be read from a pipe: give its path, or redirect it (parley transcribe - < FILE)",
                             label);
        else if (bad_packets || bad_frames || read_error)
            st = parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: the %s audio is corrupt: no packet could be decoded", label,
                             codec->name);
        else
            st = parley_fail(PARLEY_ERR_NO_AUDIO, "%s: the audio track holds no samples", label);
        goto out;
    }
    /* A file is truncated when it stops well before its header's duration, or the
     * demuxer hit a read error rather than a clean end. Half a second and 2 % of
     * slack absorb encoder padding and rounding in container durations. */
    bool truncated = (expected_s > 0 && got_s < expected_s * 0.98 && expected_s - got_s > 0.5) ||
                     (read_error && read_error != AVERROR_EOF);
    if (truncated) {
        out->truncated = true;
        if (!p.allow_truncated) {
            if (expected_s > 0 && got_s < expected_s)
                st = parley_fail(PARLEY_ERR_BAD_AUDIO,
                                 "%s is truncated: its header says %.1f s but only %.1f s of audio is present "
                                 "(use --allow-truncated to transcribe what is there)",
                                 label, expected_s, got_s);
            else
                st = parley_fail(PARLEY_ERR_BAD_AUDIO,
                                 "%s is damaged: reading stopped after %.1f s (%s) "
                                 "(use --allow-truncated to transcribe what is there)",
                                 label, got_s, averr(read_error, eb, sizeof eb));
            goto out;
        }
    }
    if (p.progress)
        p.progress(1.0, p.progress_user_data);

    out->samples = s.v;
    s.v = NULL;
    out->n_samples = s.n;
    out->duration_s = got_s;
    out->source_rate = d.dec->sample_rate;
    out->source_channels = d.dec->ch_layout.nb_channels;
    snprintf(out->codec, sizeof out->codec, "%s", codec->name);
    snprintf(out->container, sizeof out->container, "%s", d.fmt->iformat->name);
out:
    if (hf)
        fclose(hf);
    free(s.v);
    decoder_close(&d);
    return st;
}

/* "-": the recording comes on standard input. A file redirected in (< a.m4a) is read
 * as that file (seekable: every container works); a pipe (cat a.wav | ...) is streamed,
 * which every format but an MP4/M4A with its index at the end allows; a terminal or a
 * device is refused. */
static parley_status decode_stdin(const struct parley_audio_params *params, parley_audio *out)
{
    const char *label = "standard input";
    struct stat sb;
    if (fstat(STDIN_FILENO, &sb) != 0) {
        int e = errno;
        return parley_fail(PARLEY_ERR_NOT_FOUND, "%s is not open: %s", label, strerror(e));
    }
    if (isatty(STDIN_FILENO))
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "%s is a terminal; pipe a recording in (cat meeting.wav | parley transcribe -) or "
                           "give its path",
                           label);
    if (S_ISREG(sb.st_mode)) {
        if (sb.st_size == 0)
            return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is empty (0 bytes)", label);
        return decode(label, "/dev/stdin", NULL, NULL, (int64_t)sb.st_size, params, out);
    }
    if (S_ISDIR(sb.st_mode))
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is a directory, not a recording", label);
    if (!S_ISFIFO(sb.st_mode) && !S_ISSOCK(sb.st_mode))
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is a device, not a recording", label);
    stream_src src = {.fd = STDIN_FILENO};
    return decode(label, NULL, NULL, &src, 0, params, out);
}

parley_status parley_audio_decode_file(const char *path, const struct parley_audio_params *params, parley_audio *out)
{
    if (!path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "path and out are required");
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0)
        return decode_stdin(params, out);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode))
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is a directory, not a recording", path);
    if (S_ISFIFO(sb.st_mode))
        return parley_fail(PARLEY_ERR_UNSUPPORTED,
                           "%s is a pipe (FIFO): it is not opened by its name; give it on standard input "
                           "(parley transcribe - < %s) or save it to a file first",
                           path, path);
    if (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) || S_ISSOCK(sb.st_mode))
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is not a regular file (a device or socket), not a recording",
                           path);
    if (!S_ISREG(sb.st_mode))
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is not a regular file", path);
    if (sb.st_size == 0)
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is empty (0 bytes)", path);
    return decode(path, path, NULL, NULL, (int64_t)sb.st_size, params, out);
}

parley_status parley_audio_decode_memory(const void *data, size_t len, const char *name,
                                         const struct parley_audio_params *params, parley_audio *out)
{
    if ((!data && len) || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "data and out are required");
    memset(out, 0, sizeof *out);
    const char *label = name && *name ? name : "(recording in memory)";
    if (len == 0)
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s is empty (0 bytes)", label);
    if (len > (size_t)INT64_MAX)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "%s is too large", label);
    mem_src m = {.data = data, .len = len};
    return decode(label, NULL, &m, NULL, (int64_t)len, params, out);
}
