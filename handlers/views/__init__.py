"""Pull views: what a rich-menu button shows (回覧板, 行事・出欠, 登録内容, 安否, 使い方…), always by reply.

Above the capabilities (it may use their functions), below `handlers.chat`.
"""
