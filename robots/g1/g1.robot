lfd-robot 1
# lfd robot description for g1.xml (format: docs/robots.md).
#
# Sources:
#  [U] unitreerobotics/unitree_ros robots/g1_description/g1_29dof_rev_1_0.urdf:
#      joint names and order, velocity limits (<limit velocity=>, rad/s) and
#      torque limits (<limit effort=>, N m; the MJCF actuators hold the same
#      values), the sole contact points of the ankle roll link.
#  [B] BeyondMimic (HybridRobotics/whole_body_tracking) robots/g1.py: PD gains
#      from each motor's armature for a 10 Hz natural frequency and damping
#      ratio 2: kp = armature * (2 pi 10)^2, kd = 4 * armature * 2 pi 10:
#        7520-14 (hip pitch, hip yaw, waist yaw)       kp 40.179  kd 2.5579
#        7520-22 (hip roll, knee)                      kp 99.098  kd 6.3088
#        2 x 5020 (ankles, waist roll and pitch)       kp 28.501  kd 1.8144
#        5020 (shoulders, elbow, wrist roll)           kp 14.251  kd 0.9072
#        4010 (wrist pitch and yaw)                    kp 16.778  kd 1.0681
#  [R] unitreerobotics/unitree_rl_gym legged_gym/envs/g1/g1_config.py
#      default_joint_angles: hip pitch -0.1, knee 0.3, ankle pitch -0.2, rest 0.
#  Ranges are the MJCF's ([U]); no acceleration limits are published.

name g1
mjcf g1.xml
source Unitree G1 (29 DoF), limits from unitreerobotics/unitree_ros g1_description (rev 1.0)

# joint  NAME                      vel[U]  torque[U]  kp/kd[B]                 default[R]
joint left_hip_pitch_joint         vel=32  torque=88   kp=40.179 kd=2.5579     default=-0.1
joint left_hip_roll_joint          vel=20  torque=139  kp=99.098 kd=6.3088     default=0
joint left_hip_yaw_joint           vel=32  torque=88   kp=40.179 kd=2.5579     default=0
joint left_knee_joint              vel=20  torque=139  kp=99.098 kd=6.3088     default=0.3
joint left_ankle_pitch_joint       vel=30  torque=35   kp=28.501 kd=1.8144     default=-0.2
joint left_ankle_roll_joint        vel=30  torque=35   kp=28.501 kd=1.8144     default=0
joint right_hip_pitch_joint        vel=32  torque=88   kp=40.179 kd=2.5579     default=-0.1
joint right_hip_roll_joint         vel=20  torque=139  kp=99.098 kd=6.3088     default=0
joint right_hip_yaw_joint          vel=32  torque=88   kp=40.179 kd=2.5579     default=0
joint right_knee_joint             vel=20  torque=139  kp=99.098 kd=6.3088     default=0.3
joint right_ankle_pitch_joint      vel=30  torque=35   kp=28.501 kd=1.8144     default=-0.2
joint right_ankle_roll_joint       vel=30  torque=35   kp=28.501 kd=1.8144     default=0
joint waist_yaw_joint              vel=32  torque=88   kp=40.179 kd=2.5579     default=0
joint waist_roll_joint             vel=30  torque=35   kp=28.501 kd=1.8144     default=0
joint waist_pitch_joint            vel=30  torque=35   kp=28.501 kd=1.8144     default=0
joint left_shoulder_pitch_joint    vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint left_shoulder_roll_joint     vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint left_shoulder_yaw_joint      vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint left_elbow_joint             vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint left_wrist_roll_joint        vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint left_wrist_pitch_joint       vel=22  torque=5    kp=16.778 kd=1.0681     default=0
joint left_wrist_yaw_joint         vel=22  torque=5    kp=16.778 kd=1.0681     default=0
joint right_shoulder_pitch_joint   vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint right_shoulder_roll_joint    vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint right_shoulder_yaw_joint     vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint right_elbow_joint            vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint right_wrist_roll_joint       vel=37  torque=25   kp=14.251 kd=0.9072     default=0
joint right_wrist_pitch_joint      vel=22  torque=5    kp=16.778 kd=1.0681     default=0
joint right_wrist_yaw_joint        vel=22  torque=5    kp=16.778 kd=1.0681     default=0

# feet: the sole box of g1.xml over [U]'s four contact points (ankle roll frame)
foot left  body=left_ankle_roll_link   sole=-0.055,0.125,-0.035,0.035  z=-0.035
foot right body=right_ankle_roll_link  sole=-0.055,0.125,-0.035,0.035  z=-0.035
# hands: the palm centre of the rubber hand
hand left  body=left_rubber_hand   offset=0.06,0,0
hand right body=right_rubber_hand  offset=0.06,0,0

# self-collision pairs not to check besides parent/child: neighbours through
# links that carry no geometry (waist, shoulder pitch, wrist roll, ankle pitch)
exclude pelvis torso_link
exclude torso_link left_shoulder_roll_link
exclude torso_link right_shoulder_roll_link
exclude left_elbow_link left_wrist_pitch_link
exclude right_elbow_link right_wrist_pitch_link
exclude left_knee_link left_ankle_roll_link
exclude right_knee_link right_ankle_roll_link

# retargeting map (no spine entry: chest and pelvis orientations fix the 3-DoF
# waist already, and a spine target half-way between them would fight them;
# hips and shoulders are points on the first joint's axis, so they move
# rigidly with the pelvis / torso as the human hip and shoulder centres do):
# canonical human joint -> robot body (+ point offset in the
# body frame, m).  rot= is the body's orientation when the robot copies the
# human rest pose (arms hanging): G1's forearm and hand point forward at
# zero angles, so hanging they are turned +90 deg about y.
map pelvis      body=pelvis                    pos_w=1.0  rot_w=1.0
map chest       body=torso_link                pos_w=0.0  rot_w=0.5   offset=0,0,0.2
map head        body=head_link                 pos_w=0.1  rot_w=0.0   offset=0.005,0,0.45
map l_hip       body=left_hip_pitch_link       pos_w=0.5  rot_w=0.0   offset=0,0.052,0
map r_hip       body=right_hip_pitch_link      pos_w=0.5  rot_w=0.0   offset=0,-0.052,0
map l_knee      body=left_knee_link            pos_w=1.0  rot_w=0.0
map r_knee      body=right_knee_link           pos_w=1.0  rot_w=0.0
map l_ankle     body=left_ankle_roll_link      pos_w=1.0  rot_w=0.5
map r_ankle     body=right_ankle_roll_link     pos_w=1.0  rot_w=0.5
map l_toe       body=left_ankle_roll_link      pos_w=0.5  rot_w=0.0   offset=0.12,0,-0.03
map r_toe       body=right_ankle_roll_link     pos_w=0.5  rot_w=0.0   offset=0.12,0,-0.03
map l_shoulder  body=left_shoulder_pitch_link  pos_w=0.5  rot_w=0.0   offset=0,0.038,0
map r_shoulder  body=right_shoulder_pitch_link pos_w=0.5  rot_w=0.0   offset=0,-0.038,0
map l_elbow     body=left_elbow_link           pos_w=1.0  rot_w=0.0
map r_elbow     body=right_elbow_link          pos_w=1.0  rot_w=0.0
map l_wrist     body=left_wrist_yaw_link       pos_w=1.0  rot_w=0.3   rot=0.70710678,0,0.70710678,0
map r_wrist     body=right_wrist_yaw_link      pos_w=1.0  rot_w=0.3   rot=0.70710678,0,0.70710678,0
