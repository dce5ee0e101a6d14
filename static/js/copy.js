// A button with data-copy="ID" copies the text of the element ID, and says so.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  const label = button.textContent;
  const source = document.getElementById(button.dataset.copy);
  function done() {
    button.textContent = "Copied ✔";
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  function selectAndCopy() {  // where the clipboard API is missing or refused: select the text, copy it
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
    done();
  }
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent).then(done, selectAndCopy);
    } else {
      selectAndCopy();
    }
  });
});
