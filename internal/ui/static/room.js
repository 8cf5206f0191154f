// The consultation room: a browser-to-browser WebRTC call between the
// patient and the treating doctor, signalled through the platform itself.
// Messages to the other side are POSTed to
// /api/v1/clinic/consultations/{id}/signals; messages from it arrive as
// server-sent events on the same address. No STUN or TURN server: the
// town's network (or localhost in tests) connects host candidates.
//
// Each page load is a session with its own id (sid). Both sides say hello;
// the doctor offers to the newest patient session it hears of, the patient
// answers offers addressed to its own session and says hello back once to
// each new doctor session, so either side may join or reload first.
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room) { return; }
  var id = room.dataset.consultation, role = room.dataset.role, csrf = room.dataset.csrf;
  var base = "/api/v1/clinic/consultations/" + encodeURIComponent(id) + "/signals";
  var statusEl = document.getElementById("call-status");
  var localVideo = document.getElementById("local-video");
  var remoteVideo = document.getElementById("remote-video");
  var sid = Math.random().toString(36).slice(2) + Date.now().toString(36);
  var peerSid = "", pc = null, stream = null, source = null, ended = false, pending = [];

  function say(key) { statusEl.textContent = room.dataset["t" + key.charAt(0).toUpperCase() + key.slice(1)] || key; statusEl.dataset.state = key; }

  function send(kind, data) {
    data.sid = sid;
    return fetch(base, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ kind: kind, data: JSON.stringify(data) })
    });
  }

  function newPeer() {
    if (pc) { pc.onicecandidate = null; pc.ontrack = null; pc.close(); }
    pending = [];
    pc = new RTCPeerConnection({ iceServers: [] });
    window.roomPeer = pc; // for the browser test and curious users
    stream.getTracks().forEach(function (t) { pc.addTrack(t, stream); });
    pc.onicecandidate = function (e) {
      if (e.candidate) { send("candidate", { to: peerSid, candidate: e.candidate.toJSON() }); }
    };
    pc.ontrack = function (e) {
      if (remoteVideo.srcObject !== e.streams[0]) { remoteVideo.srcObject = e.streams[0]; }
    };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === "connected") { say("connected"); }
      if (pc.connectionState === "failed") { say("failed"); }
    };
    return pc;
  }

  function flush() {
    pending.forEach(function (c) { pc.addIceCandidate(c).catch(function () {}); });
    pending = [];
  }

  function onSignal(ev) {
    var s = JSON.parse(ev.data), d = {};
    try { d = JSON.parse(s.data || "{}"); } catch (e) { return; }
    if (ended) { return; }
    if (s.kind === "hello") {
      if (d.sid === peerSid) { return; }
      peerSid = d.sid;
      if (role === "doctor") {
        say("connecting");
        newPeer();
        pc.createOffer().then(function (o) { return pc.setLocalDescription(o); })
          .then(function () { return send("offer", { to: peerSid, sdp: pc.localDescription.toJSON() }); });
      } else {
        send("hello", {});
      }
    } else if (s.kind === "offer" && role === "patient" && d.to === sid) {
      peerSid = d.sid;
      say("connecting");
      newPeer();
      pc.setRemoteDescription(d.sdp).then(function () { flush(); return pc.createAnswer(); })
        .then(function (a) { return pc.setLocalDescription(a); })
        .then(function () { return send("answer", { to: peerSid, sdp: pc.localDescription.toJSON() }); });
    } else if (s.kind === "answer" && role === "doctor" && d.to === sid && d.sid === peerSid && pc) {
      pc.setRemoteDescription(d.sdp).then(flush);
    } else if (s.kind === "candidate" && d.to === sid && d.sid === peerSid && pc) {
      if (pc.remoteDescription) { pc.addIceCandidate(d.candidate).catch(function () {}); } else { pending.push(d.candidate); }
    } else if (s.kind === "bye" && d.sid === peerSid) {
      if (pc) { pc.close(); pc = null; }
      remoteVideo.srcObject = null;
      say("waiting");
      peerSid = "";
    }
  }

  function hangUp() {
    if (ended) { return; }
    ended = true;
    send("bye", {});
    if (source) { source.close(); }
    if (pc) { pc.close(); pc = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    say("ended");
  }

  document.getElementById("hang-up").addEventListener("click", hangUp);
  window.addEventListener("pagehide", function () { if (!ended) { send("bye", {}); } });

  navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (s) {
    stream = s;
    localVideo.srcObject = s;
    say("waiting");
    source = new EventSource(base);
    source.addEventListener("signal", onSignal);
    source.addEventListener("closed", function () { source.close(); say("ended"); });
    source.onopen = function () { send("hello", {}); source.onopen = null; };
  }).catch(function () { say("nomedia"); });
}());
