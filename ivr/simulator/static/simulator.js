// The line simulator: follows TwiML as Twilio does, against the real, signed webhooks.
"use strict";

const LINE = "+15555550199";
const WORDS_PER_SECOND = 2.6; // how long an unspoken <Say> is shown for when speech is off
// ?pace=0 shows unspoken text without waiting (for quick reviews and the browser tests).
const PACE = Number(new URLSearchParams(location.search).get("pace") ?? 1);

const $ = (id) => document.getElementById(id);
const call = { active: false, sid: "", waiter: null, media: null };
let outboxSeen = 0;
let captions = {}; // recording URL -> the text it says
const captionsReady = fetch("/simulator/captions")
  .then((r) => r.json())
  .then((c) => { captions = c; }, () => {});
let messageCount = 0;

function randomSid(prefix) {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0"));
  return prefix + hex.join("");
}

// One line of the transcript; words (what was said, in language) get their own lang.
function log(text, kind, words, language) {
  const item = document.createElement("li");
  if (kind) item.className = kind;
  item.textContent = text;
  if (words) item.append(" ", inLanguage(words, language));
  $("transcript").append(item);
  item.scrollIntoView({ block: "nearest" });
}

// A span of text marked with its language ("es-MX" and "es" both mark it "es").
function inLanguage(text, language) {
  const span = document.createElement("span");
  span.textContent = text;
  if (language) span.lang = language.slice(0, 2);
  return span;
}

// After the focused control is disabled or hidden, focus goes to target, never to the page.
function keepFocus(target) {
  const here = document.activeElement;
  if (!here || here === document.body || here.disabled || here.closest("[hidden]")) target.focus();
}

// The keypad, speech and hang-up work only during a call; calling only outside one.
function setInCall(active) {
  $("call").disabled = active;
  $("hangup").disabled = !active;
  for (const control of document.querySelectorAll(".key, #say-input, #say-form button")) {
    control.disabled = !active;
  }
  $("keypad").classList.toggle("inactive", !active);
  $("keypad-hint").hidden = active;
}

async function signedPost(path, params) {
  const signing = await fetch("/simulator/sign", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path, params }),
  });
  const { signature } = await signing.json();
  const response = await fetch(path, {
    method: "POST",
    headers: { "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  return { status: response.status, text: await response.text() };
}

// ---- the phone ------------------------------------------------------------------------------

async function startCall() {
  if (call.active) return;
  call.active = true;
  call.sid = randomSid("CA");
  $("transcript").replaceChildren();
  setInCall(true);
  $("hangup").focus(); // keep keyboard users in place: the disabled button would drop focus
  setStatus("In a call.");
  log("You call the line.", "you");
  await captionsReady; // so the transcript can say what each recording says
  await request("/voice", {});
}

function endCall(reason) {
  if (!call.active) return;
  call.active = false;
  stopMedia();
  if (call.waiter) call.waiter(null);
  setInCall(false);
  $("dial").hidden = true;
  keepFocus($("call"));
  setStatus(`Not in a call. ${reason}`);
  log(reason, "note");
  signedPost("/voice/status", callParams({ CallStatus: "completed", CallDuration: "0" }));
}

function setStatus(text) {
  $("call-status").textContent = text;
}

// The simulated phone's number: made up once per browser, so a second call is a returning caller.
function callerNumber() {
  let number = $("number").value.trim();
  if (!/^\+[1-9][0-9]{6,14}$/.test(number)) {
    number = "+1555" + String(Math.floor(1000000 + Math.random() * 8999999));
    $("number").value = number;
  }
  localStorage.setItem("ivr-simulator-number", number);
  return number;
}

function callParams(extra) {
  return Object.assign({ CallSid: call.sid, From: callerNumber(), To: LINE, Direction: "inbound" }, extra);
}

async function request(url, extra) {
  if (!call.active) return;
  const path = url.startsWith("http") ? new URL(url).pathname + new URL(url).search : url;
  const { status, text } = await signedPost(path, callParams(extra));
  if (status !== 200) {
    endCall(`The line answered ${status}; the call ends.`);
    return;
  }
  await follow(new DOMParser().parseFromString(text, "text/xml"));
}

async function follow(doc) {
  for (const verb of Array.from(doc.documentElement.children)) {
    if (!call.active) return;
    if (verb.tagName === "Gather") {
      const input = await gather(verb);
      if (!call.active) return;
      if (input) return request(verb.getAttribute("action"), input);
    } else if (verb.tagName === "Say" || verb.tagName === "Play") {
      await sound(verb);
    } else if (verb.tagName === "Redirect") {
      return request(verb.textContent.trim(), {});
    } else if (verb.tagName === "Dial") {
      return dial(verb);
    } else if (verb.tagName === "Hangup") {
      return endCall("The line hung up.");
    }
  }
  endCall("The TwiML ended, so the call ends.");
}

// A <Gather>: play what it holds, stop at the first key or words, then wait `timeout` seconds.
function gather(verb) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (input) => {
      if (done) return;
      done = true;
      call.waiter = null;
      stopMedia();
      resolve(input);
    };
    call.waiter = finish;
    (async () => {
      for (const child of Array.from(verb.children)) {
        if (done) return;
        await sound(child);
      }
      if (done) return;
      const seconds = Number(verb.getAttribute("timeout") || 5);
      setTimeout(() => finish(null), seconds * 1000);
    })();
  });
}

function press(key) {
  if (!call.active) return;
  flash(key);
  log(`You press ${key}.`, "you");
  if (call.waiter) call.waiter({ Digits: key });
}

async function speakWords(words) {
  if (!call.active || !words) return;
  log("You say:", "you", words, (await measure(words)).language);
  if (call.waiter) call.waiter({ SpeechResult: words, Confidence: "0.9" });
}

function stopMedia() {
  if (call.media) {
    call.media.pause();
    call.media = null;
  }
  if (window.speechSynthesis) speechSynthesis.cancel();
}

// <Play> plays the recording; <Say> speaks in its language with the browser's voice.
function sound(node) {
  return new Promise((resolve) => {
    if (!call.active) return resolve();
    if (node.tagName === "Play") {
      const url = node.textContent.trim();
      // Recordings are filed as <language>/<name>.mp3, wherever they are served from.
      const language = url.split("/").slice(-2)[0];
      const slower = /-slow-[0-9a-f]+\.mp3$/.test(url) ? ", slower" : "";
      if (captions[url]) log(`Line${slower}:`, "line", captions[url], language);
      else log("Line plays a recording.", "line");
      if (PACE === 0) {
        // Quick review: fetch the recording (as Twilio would) without waiting for it to play.
        fetch(url).then(() => resolve(), () => resolve());
        return;
      }
      const audio = new Audio(url);
      call.media = audio;
      audio.onended = audio.onerror = () => resolve();
      audio.play().catch(() => resolve());
      return;
    }
    const text = node.textContent.trim();
    const language = node.getAttribute("language") || "en-US";
    const slow = node.querySelector("prosody[rate='slow']") !== null;
    log(`Line${slow ? ", slower" : ""}:`, "line", text, language);
    if (!$("speak").checked || !window.speechSynthesis) {
      const seconds = Math.max(1, text.split(/\s+/).length / WORDS_PER_SECOND);
      return setTimeout(resolve, seconds * 1000 * PACE);
    }
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = language;
    utterance.rate = slow ? 0.75 : 1;
    utterance.onend = utterance.onerror = () => resolve();
    speechSynthesis.speak(utterance);
  });
}

function dial(verb) {
  const number = verb.textContent.trim();
  log(`Line transfers the call to ${number} (simulated).`, "note");
  $("dial-text").textContent = `Transferring to ${number}. How did the transfer go?`;
  $("dial").hidden = false;
  $("dial").querySelector("button").focus();
  call.dialAction = verb.getAttribute("action");
}

function dialEnded(status) {
  $("dial").hidden = true;
  keepFocus($("hangup"));
  log(status === "completed" ? "The person answered and the talk ended." : "No one answered.", "note");
  request(call.dialAction, { DialCallStatus: status });
}

function flash(key) {
  const button = document.querySelector(`.key[data-key="${CSS.escape(key)}"]`);
  if (!button) return;
  button.classList.add("pressed");
  setTimeout(() => button.classList.remove("pressed"), 150);
}

// ---- text messages ----------------------------------------------------------------------------

// One message in the conversation: who sent it, its words in their language, and (shown, not
// announced) its size. The list itself is not live: #sms-announcer says who and what, no more.
function bubble(text, kind, who, language, size) {
  const item = document.createElement("li");
  item.className = kind;
  const sender = document.createElement("span");
  sender.className = "who";
  sender.textContent = who;
  item.append(sender, inLanguage(text, language));
  if (size) {
    const note = document.createElement("span");
    note.className = "meta";
    note.textContent = size;
    item.append(note);
  }
  $("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
  $("sms-announcer").replaceChildren(`${who}: `, inLanguage(text, language));
}

async function postJson(path, data) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
  return response.json();
}

// A text's size in SMS segments and the language it is clearly written in (or null).
function measure(text) {
  return postJson("/simulator/segments", { text });
}

function sizeOf(measured) {
  const s = measured.count === 1 ? "" : "s";
  return `${measured.units} characters, ${measured.encoding}, ${measured.count} segment${s}`;
}

async function fromLine(text, who) {
  const measured = await measure(text);
  bubble(text, "in", who, measured.language, sizeOf(measured));
}

// What the page says when the line sent nothing back, by the reason the server gives.
const SILENCE = {
  "twilio-opt-out": () => "The line sent nothing: Twilio confirmed the opt-out itself and now blocks every text from the line to this number.",
  "opt-out-over-limit": (limit) => `The line recorded the opt-out but sent no confirmation: this number is over the line's rate limit (${limit}).`,
  "opted-out": () => "The line sent nothing: this number opted out. Text START to get texts again.",
  "rate-limit": (limit) => `The line sent nothing: this number is over the line's rate limit (${limit}), and was told once when to try again.`,
};

async function sendText(body) {
  const number = callerNumber();
  bubble(body || "(an empty message)", "out", "You", body ? (await measure(body)).language : null);
  messageCount += 1;
  const params = {
    MessageSid: randomSid("SM"),
    AccountSid: "AC" + "0".repeat(32),
    From: number,
    To: LINE,
    Body: body,
    NumMedia: "0",
  };
  const { status, text } = await signedPost("/sms", params);
  const carrier = await postJson("/simulator/twilio-reply", { body });
  if (carrier.text) {
    bubble(carrier.text, "carrier", "Twilio's own reply (not the line's)", carrier.language);
  }
  if (status !== 200) return bubble(`The line answered ${status}.`, "note", "Error");
  const messages = new DOMParser().parseFromString(text, "text/xml").getElementsByTagName("Message");
  if (messages.length === 0) {
    const { reason, limit } = await postJson("/simulator/silence", { from: number, body });
    bubble(SILENCE[reason](limit), "note", "No reply");
  }
  for (const message of Array.from(messages)) await fromLine(message.textContent, "Line");
}

async function pollOutbox() {
  try {
    const response = await fetch(`/simulator/outbox?since=${outboxSeen}`);
    const { messages } = await response.json();
    for (const message of messages) {
      outboxSeen = Math.max(outboxSeen, Number(message.id));
      await fromLine(message.body, "Line, sent during the call");
    }
  } catch (error) {
    // The server is gone or restarting; try again on the next tick.
  }
}

// ---- wiring ----------------------------------------------------------------------------------

$("call").addEventListener("click", startCall);
$("hangup").addEventListener("click", () => endCall("You hung up."));
document.querySelectorAll(".key").forEach((button) => {
  button.addEventListener("click", () => press(button.dataset.key));
});
$("say-form").addEventListener("submit", (event) => {
  event.preventDefault();
  speakWords($("say-input").value.trim());
  $("say-input").value = "";
});
$("sms-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sendText($("sms-input").value);
  $("sms-input").value = "";
});
document.querySelectorAll("[data-dial]").forEach((button) => {
  button.addEventListener("click", () => dialEnded(button.dataset.dial));
});
document.addEventListener("keydown", (event) => {
  const typing = event.target instanceof HTMLInputElement && event.target.type === "text";
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (/^[0-9*#]$/.test(event.key)) {
    event.preventDefault();
    press(event.key);
  }
});
setInCall(false);
$("number").value = localStorage.getItem("ivr-simulator-number") || "";
callerNumber();
if (PACE === 0) $("speak").checked = false;
setInterval(pollOutbox, 1500);
