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

function log(text, kind) {
  const item = document.createElement("li");
  if (kind) item.className = kind;
  item.textContent = text;
  $("transcript").append(item);
  item.scrollIntoView({ block: "nearest" });
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
  $("call").disabled = true;
  $("hangup").disabled = false;
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
  const hadFocus = document.activeElement === $("hangup");
  $("call").disabled = false;
  $("hangup").disabled = true;
  if (hadFocus) $("call").focus();
  $("dial").hidden = true;
  setStatus("Not in a call.");
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
  flash(key);
  if (!call.active) return;
  log(`You press ${key}.`, "you");
  if (call.waiter) call.waiter({ Digits: key });
}

function speakWords(words) {
  if (!call.active || !words) return;
  log(`You say: "${words}"`, "you");
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
      const said = captions[url] ? `: ${captions[url]}` : "";
      log(`Line plays ${url.split("/").slice(-2).join("/")}${said}`);
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
    log(`Line (${language}${slow ? ", slower" : ""}): ${text}`);
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

function bubble(text, direction, meta) {
  const item = document.createElement("li");
  item.className = direction;
  item.textContent = text;
  if (meta) {
    const note = document.createElement("span");
    note.className = "meta";
    note.textContent = meta;
    item.append(note);
  }
  $("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
}

async function describe(text) {
  const response = await fetch("/simulator/segments", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
  });
  const size = await response.json();
  return `${size.units} characters, ${size.encoding}, ${size.count} segment${size.count === 1 ? "" : "s"}`;
}

async function sendText(body) {
  bubble(body || "(an empty message)", "out", "You");
  messageCount += 1;
  const params = {
    MessageSid: randomSid("SM"),
    AccountSid: "AC" + "0".repeat(32),
    From: callerNumber(),
    To: LINE,
    Body: body,
    NumMedia: "0",
  };
  const { status, text } = await signedPost("/sms", params);
  if (status !== 200) return bubble(`The line answered ${status}.`, "in", "Error");
  const messages = new DOMParser().parseFromString(text, "text/xml").getElementsByTagName("Message");
  if (messages.length === 0) bubble("(no reply)", "in", "Line");
  for (const message of Array.from(messages)) {
    const reply = message.textContent;
    bubble(reply, "in", `Line, ${await describe(reply)}`);
  }
}

async function pollOutbox() {
  try {
    const response = await fetch(`/simulator/outbox?since=${outboxSeen}`);
    const { messages } = await response.json();
    for (const message of messages) {
      outboxSeen = Math.max(outboxSeen, Number(message.id));
      bubble(message.body, "in", `Line, sent during the call, ${await describe(message.body)}`);
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
$("number").value = localStorage.getItem("ivr-simulator-number") || "";
callerNumber();
if (PACE === 0) $("speak").checked = false;
setInterval(pollOutbox, 1500);
