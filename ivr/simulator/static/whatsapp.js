// The simulator's WhatsApp mode: messages from whatsapp:<number> to the real /sms webhook,
// signed as Twilio signs them; recordings in the answer play in native audio controls.
// Uses signedPost, randomSid, callerNumber, measure, inLanguage, captions and LINE from
// simulator.js. Like the SMS list, the conversation is not live: #wa-announcer says who and what.
"use strict";

const WHATSAPP_FAKE_MEDIA = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0";

// The language a text is clearly written in (or null), so Spanish bubbles carry lang="es".
async function whatsappLanguage(text) {
  try {
    return (await measure(text)).language;
  } catch (error) {
    return null;
  }
}

function whatsappBubble(direction, meta, fill, language) {
  const item = document.createElement("li");
  item.className = direction;
  if (language) item.lang = language;
  fill(item);
  const note = document.createElement("span");
  note.className = "meta";
  note.lang = "en";
  note.textContent = meta;
  item.append(note);
  $("wa-messages").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function whatsappText(text, direction, meta, language) {
  whatsappBubble(direction, meta, (item) => item.append(text), language);
  $("wa-announcer").replaceChildren(`${meta}: `, inLanguage(text, language));
}

function whatsappRecording(url, number, count) {
  const language = new URL(url).pathname.split("/").at(-2);
  const words = captions[url] || "";
  whatsappBubble("in", `Line, recording ${number} of ${count}`, (item) => {
    const player = document.createElement("audio");
    player.controls = true;
    player.preload = "none";
    player.src = url;
    player.setAttribute("aria-label", words ? words.split(/(?<=[.?!])\s/)[0] : url);
    item.append(player);
    if (words) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.lang = "en";
      summary.textContent = "What it says";
      const said = document.createElement("p");
      said.textContent = words;
      details.append(summary, said);
      item.append(details);
    }
  }, language);
}

async function sendWhatsApp(body, extra, shown) {
  whatsappText(shown || body || "(an empty message)", "out", "You", await whatsappLanguage(body));
  const number = callerNumber();
  const sid = randomSid("SM");
  const params = Object.assign({
    SmsMessageSid: sid, NumMedia: "0", ProfileName: "", MessageType: "text", SmsSid: sid,
    WaId: number.slice(1), SmsStatus: "received", Body: body, To: `whatsapp:${LINE}`,
    NumSegments: "1", ReferralNumMedia: "0", MessageSid: sid, AccountSid: "AC" + "0".repeat(32),
    From: `whatsapp:${number}`, ApiVersion: "2010-04-01",
  }, extra || {});
  const { status, text } = await signedPost("/sms", params);
  if (status !== 200) return whatsappText(`The line answered ${status}.`, "in", "Error", "en");
  await captionsReady;
  const messages = Array.from(new DOMParser().parseFromString(text, "text/xml").getElementsByTagName("Message"));
  if (messages.length === 0) whatsappText("The line sent nothing.", "in", "Line", "en");
  const media = messages.flatMap((m) => Array.from(m.getElementsByTagName("Media"), (n) => n.textContent.trim()));
  for (const message of messages) {
    if (message.getElementsByTagName("Media").length) continue;
    const reply = message.textContent;
    whatsappText(reply, "in", "Line", await whatsappLanguage(reply));
  }
  media.forEach((url, index) => whatsappRecording(url, index + 1, media.length));
  if (media.length) {
    const s = media.length === 1 ? "" : "s";
    $("wa-announcer").append(` Then ${media.length} recording${s} to play.`);
  }
}

$("wa-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sendWhatsApp($("wa-input").value);
  $("wa-input").value = "";
});
$("wa-voice").addEventListener("click", () => sendWhatsApp("", {
  NumMedia: "1", MessageType: "audio", MediaContentType0: "audio/ogg", MediaUrl0: WHATSAPP_FAKE_MEDIA,
}, "(a voice note)"));
$("wa-picture").addEventListener("click", () => sendWhatsApp("", {
  NumMedia: "1", MessageType: "image", MediaContentType0: "image/jpeg", MediaUrl0: WHATSAPP_FAKE_MEDIA,
}, "(a picture)"));
$("wa-location").addEventListener("click", () => sendWhatsApp("", {
  MessageType: "location", Latitude: "38.9955", Longitude: "-77.0974",
}, "(a location)"));
