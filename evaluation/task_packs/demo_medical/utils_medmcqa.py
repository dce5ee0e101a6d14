# Copied verbatim from EleutherAI lm-evaluation-harness 0.4.13,
# lm_eval/tasks/medmcqa/utils_medmcqa.py (MIT License, Copyright (c) 2020 EleutherAI).
# Kept identical so the demo task builds exactly the same prompts as upstream.

# Copied from Master
def doc_to_text(doc) -> str:
    """
    Question: <question>
    Choices:
    A. <choice1>
    B. <choice2>
    C. <choice3>
    D. <choice4>
    Answer:
    """
    choices = [doc["opa"], doc["opb"], doc["opc"], doc["opd"]]
    option_choices = {
        "A": choices[0],
        "B": choices[1],
        "C": choices[2],
        "D": choices[3],
    }

    prompt = "Question: " + doc["question"] + "\nChoices:\n"
    for choice, option in option_choices.items():
        prompt += f"{choice.upper()}. {option}\n"
    prompt += "Answer:"
    return prompt
