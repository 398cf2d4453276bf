//! [`RateLimit`] and the pacer that keeps a client within it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::plan::Plan;

/// How long every request pauses after a 429 without `Retry-After`: a tenth of the window,
/// enough for the oldest requests to leave it.
pub(crate) const PAUSE_AFTER_429: Duration = Duration::from_secs(1);

const HEADER_MAX: &str = "x-hubspot-ratelimit-max";
const HEADER_REMAINING: &str = "x-hubspot-ratelimit-remaining";
const HEADER_INTERVAL_MS: &str = "x-hubspot-ratelimit-interval-milliseconds";

/// How fast a client may send requests: at most `max` in any rolling `interval`.
///
/// ```
/// use hubspot_crm::{Plan, RateLimit};
/// use std::time::Duration;
/// assert_eq!(RateLimit::plan(Plan::Professional), RateLimit::new(190, Duration::from_secs(10)));
/// ```
///
/// The pacing rules: one rolling-window pacer shared by every request of a client.
///
/// # The window
/// HubSpot admits a request when fewer than `max` requests of the app's token arrived in the
/// rolling `interval` before it (10 s on every plan). The window belongs to the token, not to
/// a process: several processes, or several clients in one, draw from it, and the only thing
/// they share is what every response says in `X-HubSpot-RateLimit-Max`, `-Remaining` and
/// `-Interval-Milliseconds`.
///
/// # The rules
/// The figures beside each rule come from `rate_limit_sim.rs`: clients against one simulated
/// window of the professional plan (190 per 10 s) under tokio's paused time, 4 requests in
/// flight each, 2-40 ms of transit each way (20-30 ms for the lone small jobs), five or ten
/// seeds per case.
///
/// 1. **Burst into the room HubSpot says is free, while the first interval lasts.** In the
///    first interval of an activity (from its first request, or its first once none of its
///    requests is left in the window) whose first reading found no other client's request
///    in the window, a request starts without the spacing of rule 2 as long as this
///    client's requests granted after the newest reading stay within three
///    quarters of the room that reading reported, times this client's share of what
///    HubSpot counted. The room is `max` less what HubSpot counted when every request
///    counted may have been this client's (it counts its own; nothing else is in transit),
///    the target of rule 3 otherwise. Shares sum to one, so all the clients of a token
///    together keep at most three quarters of the room unreported at any moment, and the
///    rest absorbs the readings' lag. A job that fits in the free room runs at the speed its
///    concurrency and the latency allow: 100 requests at 4 in flight and 20-30 ms each way
///    take 1.33-1.37 s (spreading took 5.3 s on the bench), 190 take 2.49-2.61 s (the
///    window's whole room), no 429. After the first interval the client spreads: a long job
///    bursts once, then converges to the window's pace, and its requests leave the window
///    one by one, not at the same instant ten seconds after a burst. Why three quarters
///    (`burst_share_design`, ten seeds per case): a quarter leaves 190 requests alone at
///    2.86 s; a half let one seed of four jobs started together fall to 0.944 of the
///    window's pace; three quarters keeps every case at or above 0.961 with at most 0.34%
///    429s; a whole takes 2.54 s for 190 alone and is otherwise the same here, but with
///    every client bursting (no joiner rule) it reaches 0.67% 429s against 0.50% for three
///    quarters. The joiner rule (5) does most of the sharing: with it, at most one client of
///    jobs started together bursts.
/// 2. **Otherwise spread.** Requests start one at a time, `interval / allowance` apart, where
///    the allowance is how many requests of the window this client may use. A client that
///    released a window's worth at every rollover would see those requests leave the window
///    at the same instant ten seconds later and release the next burst then, and every other
///    client of the token would see the same slots free up at the same instant: 429s at
///    every rollover. Spread requests leave the window one by one, and the slots they free
///    are taken one by one.
/// 3. **`Remaining` is the truth about the others.** Each response tells how many requests
///    HubSpot had counted in the window when the request arrived (`max - remaining`); the
///    pacer knows how many of those were its own (its grants in the interval before that
///    request's). The allowance is this client's share of the window at that moment times the
///    target (`max` less a headroom of 3.5% for requests in transit), plus a small
///    probe (0.4% of `max`) so that a newcomer's share can grow and idle capacity is
///    found. Every client applies the same rule, so the allowances add up to the target
///    whatever the number of clients: each keeps its share of the window, scaled up when the
///    window has room, down when it is over. The newest reading wins. A client that began
///    sending less than an interval ago counts its part at its pace, extrapolated to a whole
///    interval, so that it claims a share within its first interval. Shares are not equalised
///    beyond that: a client that held most of the window when another appeared keeps more.
/// 4. **Room nobody uses is taken soon.** When HubSpot counted fewer than the target, the
///    difference is room: a client that finished or slowed down leaves its requests in the
///    window, and as they expire, nobody replaces them. Each client's allowance is at least its
///    own requests in the window plus ten times that room (capped at the target
///    plus the probe), so the others take a finished client's share back within about a
///    second, not over the ten seconds its requests take to leave the window. They all see the
///    same room and take it together, which overshoots by a few requests at most before the
///    next responses report it; the headroom and rule 7 absorb that.
/// 5. **Start cautiously; join cautiously.** Until the first response's headers arrive the
///    pacer spreads its requests over the window at the configured limit, so a process that
///    starts while others fill the window sends a few requests, not a burst, before it
///    learns its share. A client whose first reading finds others' requests in the window
///    does not burst in that activity (rule 1): it spreads by rules 2-4. Of two or four jobs
///    started within 20 ms, one bursts and the others spread: two reach 0.967-0.977 of the
///    window's pace over 589 requests, no 429; four 0.961-0.995, 0-0.34% 429s. A job of 300
///    requests started 1 s into another's burst of 600: 0.982-0.985, no 429. Eight jobs of 20
///    requests started 0-3 s apart: all done in 3.6-4.0 s, no 429. The cost of the burst
///    for jobs started seconds apart: the first job's burst leaves the window ten seconds
///    later faster than the others, spreading by then, take its room; four jobs 2 s apart
///    reach 0.88 (0.92 before the burst), two 0.92, all under 0.2% 429s. Pacers that never
///    finish, started 0-2 s apart, for 60 s: two 0.99-1.01, four 1.00-1.01, at most 0.18%
///    429s.
/// 6. **Alone, keep less room.** The headroom is for requests nobody has counted yet; when the
///    newest response says every request in the window was this client's, the only ones in
///    transit are its own, which it counts, so the target is `max` less half the headroom
///    (rule 7's bound): a lone client of the professional plan spreads 186 requests per
///    window instead of 183. The next reading that counts others brings the full headroom
///    back. A lone client run for a minute from a cold start: 0.977 of the window's pace (the
///    cold window's burst, then 186.7 per 10 s), no 429.
/// 7. **A hard bound backs them.** A request never starts while this client's requests in the
///    rolling window plus a margin (see [`RateLimit::margin`]) fill `max`, nor while its
///    requests in the window and the others' last reported use (trusted for one interval)
///    fill `max` less half the headroom (`max` itself for a client bursting alone, rule 1).
/// 8. **A 429 pauses every request of the client**: for the `Retry-After` if the response had
///    one, otherwise for a tenth of the window (1 s).
/// 9. **First come, first served.** Requests wait in one queue (a fair `tokio` mutex),
///    retries included, so a retry does not jump ahead of requests that waited longer.
///
/// [`RateLimit::least_time`] is this model's time for a lone client's job, which the CLI's
/// `--dry-run` and progress ETA use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    max: u32,
    interval: Duration,
    margin: Option<Duration>,
    learn: bool,
}

impl RateLimit {
    /// The limit of a plan ([`Plan::limits`]): its requests per HubSpot's 10-second window.
    pub fn plan(plan: Plan) -> Self {
        let limits = plan.limits();
        RateLimit::new(limits.requests_per_window, limits.window)
    }

    /// At most `max` (at least 1) requests in any rolling `interval`.
    pub fn new(max: u32, interval: Duration) -> Self {
        RateLimit {
            max: max.max(1),
            interval,
            margin: None,
            learn: true,
        }
    }

    /// Extra time added to the window (default: a fortieth of the interval, 250 ms for
    /// HubSpot's 10 s). HubSpot counts a request when it arrives, the pacer when it starts;
    /// two requests started exactly one interval apart can arrive closer than that when the
    /// network delays the first more than the second.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    /// Whether to adopt the limit HubSpot reports in its `X-HubSpot-RateLimit-*` headers
    /// (default true).
    pub fn learn_from_headers(mut self, learn: bool) -> Self {
        self.learn = learn;
        self
    }

    /// Requests per interval.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// The interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The least time the pacer takes to start `requests` requests of a client alone on the
    /// token, into an empty window, however fast the server answers: a window's worth at once
    /// (rule 1 in the module's documentation), then, once the burst's requests leave the
    /// window (the interval plus the margin after the first), the rest at the pace of a lone
    /// client (rules 2 and 6). Latency comes on top; so does every request that other
    /// clients of the token send.
    ///
    /// ```
    /// use hubspot_crm::{Plan, RateLimit};
    /// use std::time::Duration;
    /// let pro = RateLimit::plan(Plan::Professional);
    /// assert_eq!(pro.least_time(190), Duration::ZERO);
    /// assert_eq!(pro.least_time(191), Duration::from_millis(10_250));
    /// ```
    pub fn least_time(&self, requests: u64) -> Duration {
        let max = u64::from(self.max);
        if requests <= max {
            return Duration::ZERO;
        }
        let gap = self.interval.as_secs_f64() / target(self.max, Some(0.0));
        with_margin(self.interval, self.margin)
            + Duration::from_secs_f64(gap * (requests - max - 1) as f64)
    }
}

impl Default for RateLimit {
    /// The Starter plan's 100 requests per 10 s, the safe choice when the plan is unknown.
    fn default() -> Self {
        RateLimit::plan(Plan::Starter)
    }
}

/// The share of the window kept free for requests in transit (and the others' newest
/// requests, which no response has reported yet): the target is `max × (1 - HEADROOM)`, and
/// at least one request below `max`.
pub(crate) const HEADROOM: f64 = 0.035;
/// What each client adds to its proportional share of the target, as a share of `max`: lets a
/// client whose share is small (it started late) grow it, and finds room others leave unused.
pub(crate) const PROBE: f64 = 0.004;

/// How many times the room nobody uses (the target less what HubSpot counted) each client
/// adds to its own requests in the window to get its allowance: high, so that a finished
/// client's share is taken back within about a tenth of the interval; the allowance never
/// exceeds the target plus the probe.
pub(crate) const ROOM_GAIN: f64 = 10.0;

/// How much of the room HubSpot reports free a client may have in transit at once while it
/// bursts, times its share of the window: with every client's share summing to one, the
/// clients of a token together have at most this share of the room unreported at any moment,
/// and the rest absorbs the readings' lag (see the simulation's figures in the module docs).
pub(crate) const BURST_SHARE: f64 = 0.75;

/// The slot a request was given.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grant {
    /// When the request may start (it started then): the responses' headers are read
    /// against it.
    pub(crate) at: Instant,
}

/// The limiter itself: shared by all tasks of a client.
#[derive(Debug)]
pub(crate) struct Pacer {
    /// Held by the request whose turn it is; tokio's mutex is fair, so turns are FIFO.
    queue: tokio::sync::Mutex<()>,
    state: Mutex<Window>,
    learn: bool,
    margin: Option<Duration>,
}

#[derive(Debug)]
struct Window {
    max: u32,
    /// The window's length as HubSpot counts it.
    interval: Duration,
    /// The interval plus the safety margin: how long a grant counts in the hard rule.
    guarded: Duration,
    /// Start times of this client's requests inside `guarded`, oldest first.
    grants: VecDeque<Instant>,
    /// The slot the last request was given (its scheduled time, which a late wake-up of up
    /// to [`TIMER_SLACK`] does not move, so the pace does not drift by the timer's rounding).
    last_slot: Option<Instant>,
    /// Since when this client has had requests in the window without a break.
    active_since: Option<Instant>,
    /// Whether this activity (since `active_since`) may burst: `None` until a response to one
    /// of its requests reported the window, then whether that first reading found the window
    /// free of other clients' requests.
    burst: Option<bool>,
    /// [`BURST_SHARE`], or another share in the simulation's design runs.
    burst_share: f64,
    /// Whether a client that joins a window others use bursts too: never, but for the
    /// simulation's design runs, which show what the share alone does.
    join_bursts: bool,
    paused_until: Option<Instant>,
    /// What the newest response said about the window; `None` until one said anything.
    reading: Option<Reading>,
}

/// The window as one response reported it.
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// When the request that the response answered was granted.
    granted_at: Instant,
    /// Of the requests HubSpot counted in the window then, the share that were ours (0..=1).
    share: f64,
    /// How many of them were others'.
    outside: f64,
    /// How many of them were ours.
    ours: f64,
    /// The target less what HubSpot counted: room nobody uses (negative when over).
    room: f64,
    /// Whether every request HubSpot counted may have been ours: at most as many as this
    /// client had granted by the time the answer came back. `outside` counts as others' those
    /// of ours granted after the request but arrived before it; this does not.
    alone: bool,
}

/// The target: `max` less the headroom (at least one request), at least one request. When a
/// reading counted no requests but this client's (`outside`, the others' requests it
/// counted, is 0; `None` before any reading), the headroom is halved, to the hard rule's own
/// bound: alone, what is in transit is this client's own requests, which it counts itself
/// (rule 6 in the module's documentation).
fn target(max: u32, outside: Option<f64>) -> f64 {
    let max = f64::from(max);
    let headroom = if outside.is_some_and(|o| o < 0.5) {
        HEADROOM / 2.0
    } else {
        HEADROOM
    };
    (max - (max * headroom).max(1.0)).max(1.0)
}

impl Window {
    fn expire(&mut self, now: Instant) {
        while let Some(first) = self.grants.front() {
            if *first + self.guarded <= now {
                self.grants.pop_front();
            } else {
                break;
            }
        }
    }

    /// The target for the newest reading: see [`target`].
    fn target(&self) -> f64 {
        target(self.max, self.reading.map(|r| r.outside))
    }

    /// The spacing between two requests of this client.
    fn gap(&self) -> Duration {
        let gap = self.interval.as_secs_f64() / self.allowance();
        Duration::from_secs_f64(gap.min(self.interval.as_secs_f64()))
    }

    /// How many requests of the window this client may use.
    fn allowance(&self) -> f64 {
        match self.reading {
            // Cautious start: the configured (or learned) limit, spread.
            None => self.target(),
            Some(r) => {
                let probe = f64::from(self.max) * PROBE;
                let proportional = self.target() * r.share + probe;
                let filling = r.ours + ROOM_GAIN * r.room;
                proportional
                    .max(filling.min(self.target() + probe))
                    .max(1.0)
            }
        }
    }

    /// Others' requests in the window at `now`, as far as we know: the last reported use, for
    /// one interval (others keep sending as their old requests leave; after an interval
    /// without news the reading says nothing any more).
    /// A reading that found every counted request could have been ours says nothing of others:
    /// what it counts as theirs were ours granted later that overtook the request in transit.
    fn outside(&self, now: Instant) -> f64 {
        match self.reading {
            Some(r) if !r.alone && now.saturating_duration_since(r.granted_at) < self.interval => {
                r.outside
            }
            _ => 0.0,
        }
    }

    /// Whether `now` is in the first interval of an activity that may burst (rule 1).
    fn bursting(&self, now: Instant) -> bool {
        self.burst == Some(true)
            && self
                .active_since
                .is_some_and(|since| now.saturating_duration_since(since) < self.interval)
    }

    /// Whether a request may start at `now` without the spacing: rule 1 of the module's
    /// documentation. Only in the first interval of an activity whose first
    /// reading found no other client in the window, and only while this client's requests
    /// granted after the newest reading's stay within [`BURST_SHARE`] of the room that reading
    /// reported, times the share of the window that was this client's.
    fn may_burst(&self, now: Instant) -> bool {
        let Some(r) = self.reading.filter(|_| self.bursting(now)) else {
            return false;
        };
        let used = r.ours + r.outside;
        // Alone, every request in the window is ours and counted by us: the room is the
        // whole window. With others, the headroom stays for what nobody has reported yet.
        let cap = if r.alone {
            f64::from(self.max)
        } else {
            target(self.max, Some(r.outside))
        };
        let share = if r.alone || used <= 0.0 {
            1.0
        } else {
            r.ours / used
        };
        let budget = self.burst_share * share * (cap - used);
        let unreported = self.grants.len() - self.grants.partition_point(|g| *g <= r.granted_at);
        unreported as f64 + 1.0 <= budget
    }

    /// When the next request may start, or `None` if it may start now.
    fn next_slot(&self, now: Instant) -> Option<Instant> {
        let mut at = now;
        if let Some(p) = self.paused_until {
            at = at.max(p);
        }
        let burst = self.may_burst(now);
        if let Some(last) = self.last_slot.filter(|_| !burst) {
            let gap = self.gap();
            // Below the timer's resolution (over a thousand requests a second, a window that is
            // not enforced): no spacing.
            if gap >= MIN_GAP {
                at = at.max(last + gap);
            }
        }
        let max = f64::from(self.max);
        // Half the headroom stays free even for the hard rule: when the window is nearly
        // full, every client sees a slot free up at the same moment and takes it. A client
        // bursting alone may fill the window: every request in it is its own.
        let shared_max = if self.bursting(now) && self.reading.is_some_and(|r| r.alone) {
            max
        } else {
            max * (1.0 - HEADROOM / 2.0)
        };
        let full = self.grants.len() as f64 >= max
            || self.ours_at(now) as f64 + self.outside(now) >= shared_max;
        if at == now && full {
            // The window is full: look again when our oldest leaves it, or a little later if
            // the others hold it.
            let fade = self.interval / self.max.max(1);
            let oldest = self.grants.front().map(|g| *g + self.guarded);
            at = oldest
                .map_or(now + fade, |o| o.min(now + fade))
                .max(now + Duration::from_micros(1));
        }
        (at > now).then_some(at)
    }

    /// Records a request granted at `now`.
    fn grant(&mut self, now: Instant) {
        let gap = self.gap();
        // A new activity begins when none of this client's requests is left in the window: a
        // client held back by a full window is still in the activity it began.
        if self.grants.is_empty() {
            self.active_since = Some(now);
            self.burst = None;
        }
        let slot = match self.last_slot {
            Some(last) if gap >= MIN_GAP => (last + gap).max(now - TIMER_SLACK.min(gap)),
            _ => now,
        };
        self.last_slot = Some(slot.min(now));
        self.grants.push_back(now);
    }

    /// Our grants in the rolling interval up to and including `t`.
    fn ours_at(&self, t: Instant) -> usize {
        let from = t.checked_sub(self.interval);
        let upto = self.grants.partition_point(|g| *g <= t);
        let before = from.map_or(0, |from| self.grants.partition_point(|g| *g <= from));
        upto - before
    }
}

impl Pacer {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Pacer {
            queue: tokio::sync::Mutex::new(()),
            state: Mutex::new(Window {
                max: limit.max,
                interval: limit.interval,
                guarded: with_margin(limit.interval, limit.margin),
                grants: VecDeque::new(),
                last_slot: None,
                active_since: None,
                burst: None,
                burst_share: BURST_SHARE,
                join_bursts: false,
                paused_until: None,
                reading: None,
            }),
            learn: limit.learn,
            margin: limit.margin,
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for this request's turn and slot.
    pub(crate) async fn acquire(&self) -> Grant {
        let _turn = self.queue.lock().await;
        loop {
            let now = Instant::now();
            let slot = {
                let mut w = self.window();
                w.expire(now);
                let slot = w.next_slot(now);
                if slot.is_none() {
                    w.grant(now);
                }
                slot
            };
            match slot {
                None => return Grant { at: now },
                // Re-check after sleeping: a 429 may have extended the pause meanwhile.
                Some(at) => tokio::time::sleep_until(at).await,
            }
        }
    }

    /// Pauses every request of the client for `pause` from now.
    pub(crate) fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut w = self.window();
        w.paused_until = Some(w.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Learns from the `X-HubSpot-RateLimit-*` headers of the response to the request granted
    /// at `granted_at`: the limit, and how much of the window others use.
    pub(crate) fn observe(&self, headers: &HeaderMap, granted_at: Instant) {
        if !self.learn {
            return;
        }
        let read =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let mut w = self.window();
        if let Some(max) = read(HEADER_MAX).filter(|m| *m > 0) {
            let max = u32::try_from(max).unwrap_or(u32::MAX);
            if max != w.max {
                tracing::debug!(old = w.max, new = max, "rate limit learned from HubSpot");
                w.max = max;
            }
        }
        if let Some(ms) = read(HEADER_INTERVAL_MS).filter(|ms| *ms > 0) {
            w.interval = Duration::from_millis(ms);
            w.guarded = with_margin(w.interval, self.margin);
        }
        let Some(remaining) = read(HEADER_REMAINING) else {
            return;
        };
        // An older request's answer that arrives late says less than the one we have.
        if w.reading.is_some_and(|r| r.granted_at > granted_at) {
            return;
        }
        let used = u64::from(w.max).saturating_sub(remaining) as f64;
        // A client that started less than an interval ago has not filled its part of the window
        // yet: its share is its pace, extrapolated to a whole interval, so that a newcomer
        // claims its part within an interval instead of growing by the probe alone.
        let active = w.active_since.map_or(Duration::ZERO, |since| {
            granted_at.saturating_duration_since(since)
        });
        let filled = (active.as_secs_f64() / w.interval.as_secs_f64()).clamp(0.0, 1.0);
        let counted = (w.ours_at(granted_at) as f64).min(used);
        let ours = if filled < 1.0 && counted > 1.0 {
            (counted / filled.max(1e-9)).min(used)
        } else {
            counted
        };
        let others = used - counted;
        let share = if used > 0.0 {
            (ours / used).min(1.0)
        } else {
            1.0
        };
        // The first reading of this activity decides whether it may burst: only into a window
        // that holds nobody else's requests.
        if w.burst.is_none() && w.active_since.is_some_and(|since| granted_at >= since) {
            w.burst = Some(others < 0.5 || w.join_bursts);
        }
        w.reading = Some(Reading {
            granted_at,
            share,
            outside: others,
            ours: counted,
            room: target(w.max, Some(others)) - used,
            alone: (w.ours_at(Instant::now()) as f64) >= used,
        });
    }

    /// A pacer that bursts with `share` instead of [`BURST_SHARE`]: the simulation's design
    /// runs.
    #[cfg(test)]
    pub(crate) fn with_burst_share(limit: RateLimit, share: f64) -> Self {
        let pacer = Pacer::new(limit);
        pacer.window().burst_share = share;
        pacer
    }

    /// A pacer that bursts even when it joins a window others use: the simulation's design
    /// runs, to see what the share alone does.
    #[cfg(test)]
    pub(crate) fn joining_bursts(self) -> Self {
        self.window().join_bursts = true;
        self
    }

    /// The limit in force now.
    #[cfg(test)]
    pub(crate) fn current(&self) -> (u32, Duration) {
        let w = self.window();
        (w.max, w.guarded)
    }
}

/// The shortest spacing the pacer keeps; shorter ones are below tokio's timer resolution.
const MIN_GAP: Duration = Duration::from_micros(500);
/// How late a timer may wake without the pace falling behind.
const TIMER_SLACK: Duration = Duration::from_millis(2);

fn with_margin(interval: Duration, margin: Option<Duration>) -> Duration {
    interval + margin.unwrap_or(interval / 40)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    #[tokio::test(start_paused = true)]
    async fn spreads_requests_over_the_window() {
        let pacer = Pacer::new(RateLimit::new(10, Duration::from_secs(10)).margin(Duration::ZERO));
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..4 {
            starts.push(pacer.acquire().await.at - t0);
        }
        // Ten per ten seconds less the headroom, at least one request: one every 10 s / 9.
        let gap = Duration::from_secs_f64(10.0 / 9.0);
        for (i, start) in starts.iter().enumerate() {
            let expected = gap * i as u32;
            assert!(
                start.abs_diff(expected) < Duration::from_millis(1),
                "{i}: {start:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_everyone() {
        let pacer = Arc::new(Pacer::new(RateLimit::new(1000, Duration::from_secs(10))));
        pacer.pause(Duration::from_secs(3));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let p = pacer.clone();
            tasks.push(tokio::spawn(async move { p.acquire().await.at - t0 }));
        }
        for t in tasks {
            let waited = t.await.expect("task");
            assert!(waited >= Duration::from_secs(3), "{waited:?}");
            assert!(waited < Duration::from_millis(3_100), "{waited:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn learns_limit_and_outside_usage_from_headers() {
        let pacer = Pacer::new(RateLimit::new(100, Duration::from_secs(10)).margin(Duration::ZERO));
        let first = pacer.acquire().await;
        pacer.observe(
            &headers(&[(HEADER_MAX, "5"), (HEADER_INTERVAL_MS, "2000")]),
            first.at,
        );
        assert_eq!(pacer.current(), (5, Duration::from_secs(2)));
        // HubSpot had counted 4 when our one request arrived: 3 are someone else's, and our
        // share is a quarter of the target, plus the probe.
        pacer.observe(&headers(&[(HEADER_REMAINING, "1")]), first.at);
        let allowance = (5.0 - 1.0) * 0.25 + 5.0 * PROBE;
        let second = pacer.acquire().await;
        let gap = Duration::from_secs_f64(2.0 / allowance);
        assert!((second.at - first.at).abs_diff(gap) < Duration::from_millis(1));
        // An answer to an older request does not overwrite what a newer one said.
        pacer.observe(&headers(&[(HEADER_REMAINING, "4")]), second.at);
        pacer.observe(&headers(&[(HEADER_REMAINING, "0")]), first.at);
        let reading = pacer.window().reading.expect("reading");
        assert_eq!((reading.share, reading.outside), (1.0, 0.0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_advertised_as_unlimited_never_waits() {
        let pacer = Pacer::new(RateLimit::new(100, Duration::from_secs(10)));
        let first = pacer.acquire().await;
        let max = u32::MAX.to_string();
        pacer.observe(
            &headers(&[(HEADER_MAX, &max), (HEADER_REMAINING, &max)]),
            first.at,
        );
        let t0 = Instant::now();
        for _ in 0..1_000 {
            assert_eq!(pacer.acquire().await.at, t0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn fifo_order_is_kept() {
        let pacer = Arc::new(Pacer::new(RateLimit::new(1, Duration::from_secs(1))));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let p = pacer.clone();
            let o = order.clone();
            tasks.push(tokio::spawn(async move {
                p.acquire().await;
                o.lock().expect("lock").push(i);
            }));
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(*order.lock().expect("lock"), vec![0, 1, 2, 3, 4]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Requests arriving at random times are never admitted more than `max` times in any
        /// rolling window, and none waits longer than needed to respect that.
        #[test]
        fn never_more_than_max_in_any_window(
            max in 1u32..20,
            interval_ms in 100u64..5_000,
            arrivals in proptest::collection::vec(0u64..20_000, 1..200),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("runtime");
            let interval = Duration::from_millis(interval_ms);
            let admitted = rt.block_on(async move {
                let pacer = Arc::new(Pacer::new(RateLimit::new(max, interval)));
                let t0 = Instant::now();
                let mut tasks = Vec::new();
                for at in arrivals {
                    let p = pacer.clone();
                    tasks.push(tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(at)).await;
                        p.acquire().await.at - t0
                    }));
                }
                let mut times = Vec::new();
                for t in tasks {
                    times.push(t.await.expect("task"));
                }
                times.sort();
                times
            });
            // Any window of length `interval` starting at an admission holds at most `max`.
            for (i, start) in admitted.iter().enumerate() {
                let inside = admitted[i..].iter().take_while(|t| **t < *start + interval).count();
                prop_assert!(inside <= max as usize, "{inside} admitted within {interval:?} from {start:?}");
            }
        }
    }
}

#[cfg(test)]
#[path = "rate_limit_sim.rs"]
mod sim;
